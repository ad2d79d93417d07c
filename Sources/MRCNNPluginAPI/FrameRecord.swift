/// The per-frame record that flows through the stages: decoded frame + timestamp + typed features + instances, and
/// what the host keeps per frame in fields of their own: the quality settings it is computed with and its timing.
///
/// `features` holds payloads a stage leaves for later ones (a detector's pyramid, so heads reuse one backbone
/// pass), by typed key; the host never reads or writes them.
public struct FrameRecord: Sendable {
    /// 0-based position of the frame in the source.
    public var index: Int
    /// Which source of the run the frame comes from (0 when there is one): a stage that keeps state across frames
    /// (a tracker, a keyframe's boxes) keeps one state per stream, so nothing crosses from one camera to another.
    public var stream = 0
    /// Presentation timestamp in the source stream's time base.
    public var pts: Int64
    /// Presentation time in seconds.
    public var time: Double
    public var image: RGBImage
    public var features: Features
    public var instances: [Instance]
    /// The settings fixed for this frame (see `resolveSettings()`); nil while none are.
    public var settings: FrameSettings?
    /// The controller's dial the frame takes its settings from, until a stage fixes them; set by the host.
    public var dial: SettingsDial?
    /// Where the frame's time went; kept by the host (stages leave it alone).
    public var timing: FrameTiming

    public init(index: Int, pts: Int64, time: Double, image: RGBImage, features: Features = Features(),
                instances: [Instance] = [], settings: FrameSettings? = nil, dial: SettingsDial? = nil,
                timing: FrameTiming = FrameTiming(), stream: Int = 0) {
        self.index = index
        self.stream = stream
        self.pts = pts
        self.time = time
        self.image = image
        self.features = features
        self.instances = instances
        self.settings = settings
        self.dial = dial
        self.timing = timing
    }
}
