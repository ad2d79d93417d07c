/// Something a stage puts on the frame records or reads from them — instance boxes, masks, keypoints, track ids,
/// a model's features — named by a string. A chain is checked on capabilities, never on stage names: a stage's
/// `needs` must be provided earlier, and whoever provides what a stage `reads` must come before it.
public struct Capability: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let name: String

    public init(_ name: String) { self.name = name }
    public init(stringLiteral name: String) { self.name = name }

    /// Instances with a box, a COCO category and a score.
    public static let boxes = Capability("boxes")
    /// `Instance.mask` filled.
    public static let masks = Capability("masks")
    /// `Instance.keypoints` filled.
    public static let keypoints = Capability("keypoints")
    /// `Instance.trackID` filled.
    public static let trackIDs = Capability("track ids")
    /// The payload stored under `key` in `FrameRecord.features`.
    public static func features<Value>(_ key: FeatureKey<Value>) -> Capability { Capability("\(key.name) features") }

    public var description: String { name }
}
