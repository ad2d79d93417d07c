import Pipeline

/// A command-line flag generated from option declarations: every option declaring the same `OptionFlag` on the
/// stages a command offers, set together (`--min-size 480` → `detector.min-size`, `keypoints.min-size`). A host
/// turns `--FLAG VALUE` into `assignments(VALUE)`. A plain value.
public struct StageFlag: Sendable {
    public let flag: OptionFlag
    /// (stage, option) pairs it sets, in registration order.
    public private(set) var targets: [(stage: String, option: any StageOption)]

    /// The flags declared by the options of `registry`'s stages in `stages` (nil: all), limited to `options` when
    /// given (by name and flag), in declaration order.
    public static func all(in registry: StageRegistry, stages: Set<String>? = nil, options: [any StageOption]? = nil) -> [StageFlag] {
        var flags: [StageFlag] = []
        for entry in registry.all where stages?.contains(entry.name) ?? true {
            for option in entry.options {
                guard let flag = option.flag else { continue }
                if let options, !options.contains(where: { $0.name == option.name && $0.flag == flag }) { continue }
                if let i = flags.firstIndex(where: { $0.flag.name == flag.name }) {
                    flags[i].targets.append((entry.name, option))
                } else {
                    flags.append(StageFlag(flag: flag, targets: [(entry.name, option)]))
                }
            }
        }
        return flags
    }

    /// "STAGE.OPTION" → `text` for every target (a switch: `text` is its own value); nil when an option does not
    /// accept `text`, with what it expects.
    public func assignments(_ text: String) -> Result<[(key: String, value: String)], StageError> {
        var out: [(key: String, value: String)] = []
        for target in targets {
            guard target.option.checkedValue(text) != nil else {
                return .failure(.invalidOption(key: "\(target.stage).\(target.option.name)", value: text, expected: target.option.expected))
            }
            out.append(("\(target.stage).\(target.option.name)", text))
        }
        return .success(out)
    }

    /// One help line: usage, what it sets, the default (`value` if the command starts from another).
    public func helpLine(default value: String? = nil) -> String {
        let option = targets[0].option
        let usage = "--\(flag.name)" + (flag.switchValue == nil ? " <\(option.valueName.lowercased())>" : "")
        let sets = targets.map { "\($0.stage).\($0.option.name)" + (flag.switchValue.map { "=" + $0 } ?? "") }
        return "  \(usage): \(sets.joined(separator: ", "))" + (flag.switchValue == nil ? " (default \(value ?? option.defaultText))" : "")
    }
}

/// The flags a command offers (`StageFlag.all`) and the values it starts from, and the rewriting of a command line
/// through them: `--FLAG VALUE`, `--FLAG=VALUE` and switches become `(hidden, "STAGE.OPTION=VALUE")` pairs, checked
/// against the declarations, the defaults first so the user's flags win over them. A plain value.
public struct StageFlags: Sendable {
    public let flags: [StageFlag]
    /// Values a command starts from before the user's flags, by flag name.
    public let defaults: [String: String]

    /// A command line the flags cannot take; `description` is one line naming the flag.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case invalid(flag: String, value: String, expected: String)
        case takesNoValue(flag: String)
        case needsValue(flag: String)
        case noValues(flag: String)

        public var description: String {
            switch self {
            case let .invalid(flag, value, expected): return "--\(flag) must be \(expected) (got '\(value)')"
            case let .takesNoValue(flag): return "--\(flag) takes no value"
            case let .needsValue(flag): return "--\(flag) needs a value"
            case let .noValues(flag): return "--\(flag) needs at least one value"
            }
        }
    }

    public init(_ flags: [StageFlag], defaults: [String: String] = [:]) {
        self.flags = flags
        self.defaults = defaults
    }

    /// `arguments` with every flag of this set (and the defaults, first) replaced by `hidden` "STAGE.OPTION=VALUE"
    /// pairs; other arguments, and everything after `--`, are kept as they are.
    public func expand(_ arguments: [String], into hidden: String) throws -> [String] {
        var out: [String] = []
        func emit(_ flag: StageFlag, _ text: String) throws {
            switch flag.assignments(text) {
            case .success(let pairs): for (key, value) in pairs { out += [hidden, "\(key)=\(value)"] }
            case .failure(let error):
                guard case let .invalidOption(_, _, expected) = error else { throw error }
                throw Problem.invalid(flag: flag.flag.name, value: text, expected: expected)
            }
        }
        for flag in flags { if let text = defaults[flag.flag.name] { try emit(flag, text) } }
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let argument = arguments[i]
            i += 1
            if argument == "--" { out += arguments[(i - 1)...]; break }
            let body = argument.dropFirst(2), name = String(body.prefix { $0 != "=" })
            guard argument.hasPrefix("--"), let flag = flags.first(where: { $0.flag.name == name }) else { out.append(argument); continue }
            if let switchValue = flag.flag.switchValue {
                guard body.count == name.count else { throw Problem.takesNoValue(flag: name) }
                try emit(flag, switchValue)
            } else if body.count > name.count {
                try emit(flag, String(body.dropFirst(name.count + 1)))
            } else {
                guard i < arguments.endIndex else { throw Problem.needsValue(flag: name) }
                try emit(flag, arguments[i])
                i += 1
            }
        }
        return out
    }

    /// One line per flag: usage, the options it sets, its default here.
    public var helpLines: [String] { flags.map { $0.helpLine(default: defaults[$0.flag.name]) } }

    /// STAGE.OPTION → value from "STAGE.OPTION=VALUE" pairs (`--stage-option`, then `--option`), later ones winning.
    public static func assignments(_ pairs: [String], flag: String = "option") throws -> [String: String] {
        try pairs.reduce(into: [:]) { options, pair in
            guard let (key, value) = StageRegistry.parseAssignment(pair) else { throw Problem.invalid(flag: flag, value: pair, expected: "STAGE.OPTION=VALUE") }
            options[key] = value
        }
    }

    /// `text` read as `key` declares it, for a host's own `--flag` that takes an option's values.
    public static func value<Value>(_ text: String, _ key: OptionKey<Value>, flag: String) throws -> Value {
        guard let value = key.parse(text) else { throw Problem.invalid(flag: flag, value: text, expected: key.expected) }
        return value
    }

    /// The comma-separated values of `text`, each read as `key` declares it (a swept list such as `--min-sizes`).
    public static func list<Value>(_ text: String, _ key: OptionKey<Value>, flag: String) throws -> [Value] {
        let values = try text.split(separator: ",").map { try value(String($0), key, flag: flag) }
        guard !values.isEmpty else { throw Problem.noValues(flag: flag) }
        return values
    }
}
