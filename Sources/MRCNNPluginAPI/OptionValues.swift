/// The checked option values of one stage, every declared default filled in: what its factory and its traits read,
/// typed, with `try values[key]`. Reading an option the stage did not declare is an error (a bug in the stage).
/// A plain value.
public struct OptionValues: Sendable {
    /// The stage these values belong to.
    public let stage: String
    let values: [String: any Sendable]
    /// The options set explicitly (by name), as opposed to declared defaults.
    public let explicit: Set<String>

    public init(stage: String, values: [String: any Sendable] = [:], explicit: Set<String> = []) {
        self.stage = stage
        self.values = values
        self.explicit = explicit
    }

    /// The value of `key` for this stage.
    public subscript<Value>(key: OptionKey<Value>) -> Value {
        get throws {
            guard let boxed = values[key.name] else { throw StageError.undeclaredOption(stage: stage, option: key.name) }
            guard let value = boxed as? Value else {
                throw StageError.failed(stage: stage, message: "option '\(key.name)' is declared with another type")
            }
            return value
        }
    }

    /// Whether `key` was set rather than left at its declared default.
    public func isSet<Value>(_ key: OptionKey<Value>) -> Bool { explicit.contains(key.name) }
}

/// Checked option values by stage for a whole registry (see `StageRegistry.resolve`), with the assignments they
/// came from. A plain value.
public struct ChainOptions: Sendable {
    let stages: [String: OptionValues]
    /// The assignments as given ("STAGE.OPTION" → text), later ones applied.
    public let assignments: [String: String]

    public init(stages: [String: OptionValues] = [:], assignments: [String: String] = [:]) {
        self.stages = stages
        self.assignments = assignments
    }

    /// The values of `stage` (empty values for a stage the registry does not know).
    public subscript(stage: String) -> OptionValues { stages[stage] ?? OptionValues(stage: stage) }
}
