/// The per-frame record that flows through the stages: decoded frame + timestamp + typed features + instances.
///
/// `features` holds payloads a stage leaves for later ones (a detector's pyramid, so heads reuse one backbone
/// pass), by typed key; the runner never reads them.
public struct FrameRecord: Sendable {
    /// 0-based position of the frame in the source.
    public var index: Int
    /// Presentation timestamp in the source stream's time base.
    public var pts: Int64
    /// Presentation time in seconds.
    public var time: Double
    public var image: RGBImage
    public var features: Features
    public var instances: [Instance]

    public init(index: Int, pts: Int64, time: Double, image: RGBImage, features: Features = Features(),
                instances: [Instance] = []) {
        self.index = index
        self.pts = pts
        self.time = time
        self.image = image
        self.features = features
        self.instances = instances
    }
}
