import Foundation

/// Where one frame's time went: milliseconds of decode, of each stage's own work (its `process` call share, less
/// any time it waited for the shared compute gate) and of encode, in pipeline order. Travels in
/// `FrameRecord.features` under `key`; `--timing` writes it to JSON Lines. A plain value.
public struct FrameTiming: Sendable, Equatable {
    /// (part, milliseconds) in the order the parts ran: "decode", stage names, "encode".
    public var parts: [(name: String, ms: Double)] = []

    public init(parts: [(name: String, ms: Double)] = []) { self.parts = parts }

    /// The typed key of this payload.
    public static let key = FeatureKey<FrameTiming>("frame-timing")

    /// Adds `ms` to `name` (a part already present accumulates: a stage called twice for one frame).
    public mutating func add(_ name: String, ms: Double) {
        if let i = parts.firstIndex(where: { $0.name == name }) { parts[i].ms += ms } else { parts.append((name, ms)) }
    }

    /// Milliseconds of `name`, if recorded.
    public subscript(name: String) -> Double? { parts.first { $0.name == name }?.ms }

    public static func == (a: FrameTiming, b: FrameTiming) -> Bool {
        a.parts.count == b.parts.count && zip(a.parts, b.parts).allSatisfy { $0.name == $1.name && $0.ms == $1.ms }
    }

    /// Adds `ms` under `name` to the record's timing.
    public static func record(_ name: String, ms: Double, in record: inout FrameRecord) {
        var timing = record.features[key] ?? FrameTiming()
        timing.add(name, ms: ms)
        record.features[key] = timing
    }
}

/// Seconds the current thread spent waiting (for a shared compute gate) inside the stage call now running, so a
/// stage's busy time excludes them. Each stage runs on a thread of its own (`StageWorker`), which makes a
/// thread-local counter exact. Any thread.
public enum StageWaits {
    private static let key = "mrcnn.stage-wait-seconds"

    /// Adds `seconds` of waiting on this thread.
    public static func add(_ seconds: Double) {
        let dict = Thread.current.threadDictionary
        dict[key] = ((dict[key] as? Double) ?? 0) + seconds
    }

    /// The waiting recorded on this thread since the last call, and resets it.
    public static func take() -> Double {
        let dict = Thread.current.threadDictionary
        defer { dict[key] = 0.0 }
        return (dict[key] as? Double) ?? 0
    }
}

extension Duration {
    /// The duration in seconds as a Double (the one conversion the timers of the pipeline and its stages share).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
