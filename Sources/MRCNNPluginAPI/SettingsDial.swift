import Synchronization

/// The current `FrameSettings` of a run, set by a controller from any thread and read by the first stage that asks
/// for a frame's settings when it starts the frame (not when the frame was read, so frames waiting in buffers get
/// the newest settings). The host puts it on every record (`FrameRecord.dial`). Thread-safe.
public final class SettingsDial: Sendable {
    private let value: Mutex<FrameSettings>

    public init(_ settings: FrameSettings) { value = Mutex(settings) }

    public var current: FrameSettings {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

extension FrameRecord {
    /// The settings this frame is computed with: those fixed on it already, else the dial's current ones (then fixed
    /// on the record, so later stages and the results files see the same); nil when no controller runs. Stages that
    /// take `FrameSettings` call this for each frame they start.
    public mutating func resolveSettings() -> FrameSettings? {
        if let settings { return settings }
        guard let dial else { return nil }
        settings = dial.current
        self.dial = nil
        return settings
    }
}
