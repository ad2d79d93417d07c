import Synchronization

/// The time one stage reported waiting (for a compute gate, a device, a lock shared with other stages) during the
/// `process` call now running, so the host's timing of the stage counts its own work only. The stage reports
/// through `StageContext.reportWait`; the host takes the total after each call. Thread-safe.
public final class StageWaits: Sendable {
    private let seconds = Mutex(0.0)

    public init() {}

    /// Adds `duration` of waiting.
    public func add(_ duration: Duration) {
        let s = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        seconds.withLock { $0 += s }
    }

    /// The seconds reported since the last call, and resets them.
    public func take() -> Double { seconds.withLock { s in defer { s = 0 }; return s } }
}
