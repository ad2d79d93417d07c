/// The per-frame record that flows through the stages: decoded frame + timestamp + shared model features slot + instances.
///
/// `features` is an opaque slot a detector fills so later heads reuse one backbone pass; the runner never reads it.
public struct FrameRecord: Sendable {
    /// 0-based position of the frame in the source.
    public var index: Int
    /// Presentation timestamp in the source stream's time base.
    public var pts: Int64
    /// Presentation time in seconds.
    public var time: Double
    public var image: RGBImage
    public var features: (any Sendable)?
    public var instances: [Instance]

    public init(index: Int, pts: Int64, time: Double, image: RGBImage,
                features: (any Sendable)? = nil, instances: [Instance] = []) {
        self.index = index
        self.pts = pts
        self.time = time
        self.image = image
        self.features = features
        self.instances = instances
    }
}
