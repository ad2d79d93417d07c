/// The quality settings one frame is computed with, as a frame-rate controller chose them: model input short side,
/// RPN proposals kept, keyframe interval and precision (nil = the stage's own option). Carried by the frame
/// (`FrameRecord.settings`, fixed by the first stage that asks with `resolveSettings()`); stages that take a field
/// apply it to that frame, results writers record it. A plain value; knows no model.
public struct FrameSettings: Sendable, Hashable, CustomStringConvertible {
    /// The fields a controller can change (see `SettingsControl.Plan.adjustable`).
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case shortSide, proposals, keyframeInterval, precision
    }

    /// Short side of the model input, pixels.
    public var shortSide: Int?
    /// RPN proposals kept after NMS (torchvision's post_nms_top_n at test time).
    public var proposals: Int?
    /// Keyframe interval: the RPN runs on every N-th frame (1 = every frame).
    public var keyframeInterval: Int?
    /// Model arithmetic.
    public var precision: ModelPrecision?

    public init(shortSide: Int? = nil, proposals: Int? = nil, keyframeInterval: Int? = nil, precision: ModelPrecision? = nil) {
        self.shortSide = shortSide
        self.proposals = proposals
        self.keyframeInterval = keyframeInterval
        self.precision = precision
    }

    /// The set fields as (JSON key, value) pairs in one fixed order: precision, short_side, proposals, keyframe_interval.
    public var fields: [(key: String, value: String)] {
        var out: [(String, String)] = []
        if let precision { out.append(("precision", precision.name)) }
        if let shortSide { out.append(("short_side", String(shortSide))) }
        if let proposals { out.append(("proposals", String(proposals))) }
        if let keyframeInterval { out.append(("keyframe_interval", String(keyframeInterval))) }
        return out
    }

    /// e.g. "precision fp32, short side 480, proposals 300, keyframe interval 1".
    public var description: String {
        fields.map { "\($0.key.replacingOccurrences(of: "_", with: " ")) \($0.value)" }.joined(separator: ", ")
    }
}
