/// One detected object: COCO category id (torchvision label numbering, 1 = person), score, optional mask/keypoints/track id.
public struct Instance: Sendable {
    public var box: Box
    public var categoryID: Int
    public var score: Float
    public var mask: InstanceMask?
    public var keypoints: [Keypoint]?
    public var trackID: Int?

    public init(box: Box, categoryID: Int, score: Float, mask: InstanceMask? = nil,
                keypoints: [Keypoint]? = nil, trackID: Int? = nil) {
        self.box = box
        self.categoryID = categoryID
        self.score = score
        self.mask = mask
        self.keypoints = keypoints
        self.trackID = trackID
    }
}
