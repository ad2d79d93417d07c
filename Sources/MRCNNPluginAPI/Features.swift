/// The typed key of one kind of payload in `FrameRecord.features`, e.g. a detector's pyramid for the heads.
/// Declare one per payload type (`static let key = FeatureKey<MyFeatures>("my-model")`); names must be unique.
public struct FeatureKey<Value: Sendable>: Sendable, Hashable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// Per-frame payloads that stages hand to later stages (the runner never reads them), stored and fetched by
/// typed keys, so a reader gets the type the writer stored or nothing.
public struct Features: Sendable {
    private var values: [String: any Sendable] = [:]

    public init() {}

    public subscript<Value>(key: FeatureKey<Value>) -> Value? {
        get { values[key.name] as? Value }
        set { values[key.name] = newValue }
    }

    public var isEmpty: Bool { values.isEmpty }

    /// Drops every payload (e.g. once the last head has used the pyramid, to free its memory early).
    public mutating func removeAll() { values.removeAll() }
}
