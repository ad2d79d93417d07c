/// The typed declaration of one stage option — the `FeatureKey` pattern, for options: its name (unique within a
/// stage; set as `STAGE.NAME=VALUE`), the value it has when none is given, a one-line help, how text becomes a value
/// and which values it accepts (choices, ranges). Declare each option once, as a static constant, list it when you
/// register the stage, and read it back typed in the factory with `try context[key]`. The registry checks every
/// value against its declaration before any stage is built or any file is touched. A plain value.
public struct OptionKey<Value: Sendable>: StageOption {
    public let name: String
    public let help: String
    public let defaultValue: Value
    public let flag: OptionFlag?
    public let valueName: String
    public let expected: String
    private let parser: @Sendable (String) -> Value?
    private let formatter: @Sendable (Value) -> String

    /// `parse` turns text into a value, nil when the text is no accepted value (wrong type, out of range, not a
    /// choice); `format` writes a value as text `parse` reads back; `expected` says what is accepted, for errors
    /// ("an integer ≥ 1"); `valueName` names it in listings ("INT", "fp32|bf16").
    public init(_ name: String, default defaultValue: Value, help: String, flag: OptionFlag? = nil, valueName: String,
                expected: String, parse: @escaping @Sendable (String) -> Value?,
                format: @escaping @Sendable (Value) -> String) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
        self.flag = flag
        self.valueName = valueName
        self.expected = expected
        parser = parse
        formatter = format
    }

    /// The value `text` stands for, or nil when it is not one this option accepts.
    public func parse(_ text: String) -> Value? { parser(text) }

    /// `value` as text this option parses back.
    public func format(_ value: Value) -> String { formatter(value) }

    public var defaultText: String { formatter(defaultValue) }

    public func checkedValue(_ text: String) -> (any Sendable)? { parser(text).map { $0 as any Sendable } }

    public var defaultBoxed: any Sendable { defaultValue }

    /// The same option offered to hosts as the command-line flag `flag` (see `OptionFlag`).
    public func offered(as flag: OptionFlag) -> OptionKey {
        OptionKey(name, default: defaultValue, help: help, flag: flag, valueName: valueName, expected: expected,
                  parse: parser, format: formatter)
    }
}

/// A stage option without its value type: what the registry checks, `mrcnn stages` lists and a host turns into a
/// flag. `OptionKey` is the conforming type to use; declarations are plain values.
public protocol StageOption: Sendable {
    var name: String { get }
    var help: String { get }
    /// The host's shorthand flag for this option, if it offers one.
    var flag: OptionFlag? { get }
    /// The value's shape in listings, e.g. "INT", "FLOAT", "fp32|bf16|auto|bf16-emulated".
    var valueName: String { get }
    /// What values are accepted, for one-line errors, e.g. "an integer ≥ 32", "a score from 0 to 1".
    var expected: String { get }
    /// The default written as a value ("unset" for an option without one).
    var defaultText: String { get }
    /// The checked value of `text` (its `Value`, boxed), or nil when `text` is no accepted value.
    func checkedValue(_ text: String) -> (any Sendable)?
    /// The default value, boxed.
    var defaultBoxed: any Sendable { get }
}

/// How a host's command line may set an option directly (`mrcnn run --min-size 480` for `detector.min-size` and
/// `keypoints.min-size`): a flag name and, for a switch that takes no value, the text it stands for. One flag sets
/// the option on every stage of the chain that declares an option with that flag; `--option STAGE.NAME=VALUE`
/// wins over it.
public struct OptionFlag: Sendable, Hashable {
    /// The long name without dashes, e.g. "min-size".
    public let name: String
    /// For a switch: the option text it sets (e.g. "false" for `--track-boxes-only` on `tracker.use-masks`); nil
    /// for a flag that takes a value.
    public let switchValue: String?

    /// A flag that takes the option's value: `--NAME VALUE`.
    public static func value(_ name: String) -> OptionFlag { OptionFlag(name: name, switchValue: nil) }

    /// A switch: `--NAME` alone sets the option to `text`.
    public static func `switch`(_ name: String, sets text: String) -> OptionFlag { OptionFlag(name: name, switchValue: text) }
}
