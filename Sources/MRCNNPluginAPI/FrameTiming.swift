/// Where one frame's time went: milliseconds of decode, of each stage's own work (its `process` call's share, less
/// the time it reported waiting) and of encode, in pipeline order, plus when the frame was read. Kept on the frame
/// by the host (`FrameRecord.timing`); `--timing` writes it to JSON Lines. A plain value.
public struct FrameTiming: Sendable, Equatable {
    /// (part, milliseconds) in the order the parts ran: "decode", stage names, "encode".
    public var parts: [(name: String, ms: Double)] = []
    /// When the host's reader produced the frame (a frame-rate controller's capture → sink clock), if it says.
    public var readAt: ContinuousClock.Instant?

    public init(parts: [(name: String, ms: Double)] = [], readAt: ContinuousClock.Instant? = nil) {
        self.parts = parts
        self.readAt = readAt
    }

    /// Adds `ms` to `name` (a part already present accumulates: a stage called twice for one frame).
    public mutating func add(_ name: String, ms: Double) {
        if let i = parts.firstIndex(where: { $0.name == name }) { parts[i].ms += ms } else { parts.append((name, ms)) }
    }

    /// Milliseconds of `name`, if recorded.
    public subscript(name: String) -> Double? { parts.first { $0.name == name }?.ms }

    public static func == (a: FrameTiming, b: FrameTiming) -> Bool {
        a.readAt == b.readAt && a.parts.count == b.parts.count
            && zip(a.parts, b.parts).allSatisfy { $0.name == $1.name && $0.ms == $1.ms }
    }
}
