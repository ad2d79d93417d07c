import Synchronization

/// The current `FrameSettings` of a run, set by a controller from any thread and read by the first model stage
/// when it starts a frame (not when the frame was read, so frames waiting in buffers get the newest settings).
/// The reader puts the dial on every record under `key`; `FrameRecord.settings()` resolves it. Thread-safe.
public final class SettingsDial: Sendable {
    private let value: Mutex<FrameSettings>

    public init(_ settings: FrameSettings) { value = Mutex(settings) }

    public var current: FrameSettings {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }

    /// The typed key of the dial on a record.
    public static let key = FeatureKey<SettingsDial>("settings-dial")
}

extension FrameRecord {
    /// The settings this frame is computed with: those fixed earlier on it, else the dial's current ones (then fixed
    /// on the record, so later stages and the results files see the same); nil when no controller runs.
    public mutating func settings() -> FrameSettings? {
        if let fixed = features[FrameSettings.key] { return fixed }
        guard let dial = features[SettingsDial.key] else { return nil }
        let now = dial.current
        features[FrameSettings.key] = now
        features[SettingsDial.key] = nil
        return now
    }
}
