/// One COCO keypoint in image pixels with its score (visible = score above the head's threshold).
public struct Keypoint: Sendable, Equatable {
    public var x: Float
    public var y: Float
    public var score: Float
    public var visible: Bool

    public init(x: Float, y: Float, score: Float, visible: Bool) {
        self.x = x
        self.y = y
        self.score = score
        self.visible = visible
    }
}
