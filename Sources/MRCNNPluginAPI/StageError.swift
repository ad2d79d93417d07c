/// Errors from checking a chain, its options, or running its stages; `description` is one line.
public enum StageError: Error, CustomStringConvertible, Equatable {
    case unknownStage(String, available: [String])
    case duplicateStage(String)
    /// `stage` needs `capability` and no earlier stage provides it; `providers` are the stages that could.
    case missingCapability(stage: String, capability: Capability, providers: [String])
    /// `stage` reads `capability`, which `provider` adds later in the chain.
    case providedTooLate(stage: String, capability: Capability, provider: String)
    /// `--option KEY=…` names no declared option; `hint` says what would.
    case unknownOption(key: String, hint: String)
    case invalidOption(key: String, value: String, expected: String)
    /// A factory asked for an option its stage did not declare (a bug in the stage).
    case undeclaredOption(stage: String, option: String)
    case failed(stage: String, message: String)

    public var description: String {
        switch self {
        case let .unknownStage(name, available):
            return "unknown stage '\(name)' (available: \(available.joined(separator: ", ")))"
        case let .duplicateStage(name):
            return "stage '\(name)' appears more than once in the chain"
        case let .missingCapability(stage, capability, providers):
            let which = providers.isEmpty ? "" : " (provided by \(providers.joined(separator: ", ")))"
            return "stage '\(stage)' needs \(capability) from an earlier stage\(which)"
        case let .providedTooLate(stage, capability, provider):
            return "stage '\(stage)' reads \(capability), which '\(provider)' adds later in the chain; put '\(stage)' after '\(provider)'"
        case let .unknownOption(key, hint):
            return "unknown option '\(key)' (\(hint))"
        case let .invalidOption(key, value, expected):
            return "invalid value '\(value)' for option '\(key)' (expected \(expected))"
        case let .undeclaredOption(stage, option):
            return "stage '\(stage)' reads option '\(option)' it does not declare"
        case let .failed(stage, message):
            return "stage '\(stage)' failed: \(message)"
        }
    }
}
