/// One option a stage declares: name (unique within the stage; set as `STAGE.NAME=VALUE`), type, default and a
/// one-line help. Values are checked against the type before any stage is built.
public struct StageOption: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case int, float, bool, string
    }

    public let name: String
    public let kind: Kind
    /// The value when none is given; nil = unset (the stage decides, e.g. "the official weights").
    public let defaultValue: String?
    public let help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: String?, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    public static func int(_ name: String, default value: Int, help: String) -> StageOption {
        StageOption(name, .int, default: String(value), help: help)
    }

    public static func float(_ name: String, default value: Float, help: String) -> StageOption {
        StageOption(name, .float, default: String(value), help: help)
    }

    public static func bool(_ name: String, default value: Bool, help: String) -> StageOption {
        StageOption(name, .bool, default: String(value), help: help)
    }

    public static func string(_ name: String, default value: String?, help: String) -> StageOption {
        StageOption(name, .string, default: value, help: help)
    }

    /// Throws a one-line error when `value` is not of this option's type (`key` names it in the message).
    public func check(_ value: String, key: String) throws {
        let ok: Bool
        switch kind {
        case .int: ok = Int(value) != nil
        case .float: ok = Float(value).map(\.isFinite) ?? false
        case .bool: ok = Bool(value) != nil
        case .string: ok = true
        }
        guard ok else { throw StageError.invalidOption(key: key, value: value, expected: kind.rawValue) }
    }
}
