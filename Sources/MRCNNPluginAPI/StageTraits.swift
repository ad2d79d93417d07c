/// What a stage declares at registration besides its capabilities and options, so a host can plan around it
/// without knowing its name: whether frames may skip it on resume, how its state is rebuilt, which instances it
/// uses, whether it takes per-frame settings, and the option that limits its work to some detections. A plain value.
public struct StageTraits: Sendable {
    /// How a stage uses the instances earlier stages made (host decisions such as "heads only on what is drawn").
    public enum InstanceUse: Sendable {
        /// Uses every instance (a tracker, any stage that says nothing).
        case all
        /// Uses no instance of earlier stages beyond what it is given to compute on (a detector, a model head).
        case none
        /// Uses only instances scoring at least this option of its own (a renderer's drawing threshold).
        case scoring(atLeast: OptionKey<Float>)
    }

    /// Each frame's output depends on that frame alone (a detector in keyframe mode too, from a keyframe on):
    /// frames before a resume point need not go through it again.
    public var perFrame = false
    /// Keeps state across frames but changes instances only by adding what its state gives (track ids), so saved
    /// results replayed through it rebuild its state on resume.
    public var replayable = false
    public var instanceUse = InstanceUse.all
    /// The option of its own that limits its work to detections scoring at least its value (a mask or keypoint head):
    /// a host may set it to the least score anything after it uses, when the option is not set.
    public var scoreCut: OptionKey<Float>?
    /// Set when the stage takes per-frame `FrameSettings` (a frame-rate controller's): see `SettingsControl`.
    public var settings: SettingsControl?

    public init(perFrame: Bool = false, replayable: Bool = false, instanceUse: InstanceUse = .all,
                scoreCut: OptionKey<Float>? = nil, settings: SettingsControl? = nil) {
        self.perFrame = perFrame
        self.replayable = replayable
        self.instanceUse = instanceUse
        self.scoreCut = scoreCut
        self.settings = settings
    }
}

/// How a stage takes per-frame `FrameSettings`: from its own checked options, the settings it computes with when
/// nobody changes them (a controller's first rung), which fields a controller may change for it, its keyframe
/// interval (a resume point is rounded down to it), and a note for the run's report. The stage reads each frame's
/// settings with `FrameRecord.resolveSettings()`. A plain value.
public struct SettingsControl: Sendable {
    /// What `plan` gives.
    public struct Plan: Sendable {
        public var start: FrameSettings
        public var adjustable: Set<FrameSettings.Field>
        /// A line for the run's report (e.g. why a precision step is or is not on the ladder), or nil.
        public var note: String?
        /// With `.precision` adjustable: the precisions the ladder steps through, slowest first (the start's first).
        public var precisions: [ModelPrecision]

        public init(start: FrameSettings, adjustable: Set<FrameSettings.Field>, note: String? = nil,
                    precisions: [ModelPrecision] = [.fp32, .bf16]) {
            self.start = start
            self.adjustable = adjustable
            self.note = note
            self.precisions = precisions
        }
    }

    public let plan: @Sendable (OptionValues) throws -> Plan

    public init(plan: @escaping @Sendable (OptionValues) throws -> Plan) { self.plan = plan }
}
