import Foundation

/// The common kinds of option — numbers in a range, booleans, text, a choice among names, COCO classes — written
/// `OptionKey<Int>.int(…)`, `OptionKey<Float>.float(…)`, `OptionKey<String?>.text(…)`, `OptionKey<Mode>.choice(…)`.
extension OptionKey where Value == Int {
    /// An integer, at least `minimum` when given.
    public static func int(_ name: String, default value: Int, atLeast minimum: Int? = nil, help: String,
                           flag: OptionFlag? = nil) -> OptionKey<Int> {
        OptionKey<Int>(name, default: value, help: help, flag: flag, valueName: "INT",
                       expected: minimum.map { "an integer ≥ \($0)" } ?? "an integer",
                       parse: { text in Int(text.trimmingCharacters(in: .whitespaces)).flatMap { $0 >= (minimum ?? .min) ? $0 : nil } },
                       format: { String($0) })
    }
}

extension OptionKey where Value == Float {
    /// A finite number, within `range` when given (`score` phrases a 0…1 range as "a score from 0 to 1").
    public static func float(_ name: String, default value: Float, within range: ClosedRange<Float>? = nil,
                             score: Bool = false, help: String, flag: OptionFlag? = nil) -> OptionKey<Float> {
        OptionKey<Float>(name, default: value, help: help, flag: flag, valueName: "FLOAT",
                         expected: floatExpectation(range, score: score),
                         parse: { text in parseFloat(text, within: range) }, format: { String($0) })
    }
}

extension OptionKey where Value == Float? {
    /// A finite number or unset (nil, the default; `unset` says what the stage does then).
    public static func float(_ name: String, within range: ClosedRange<Float>? = nil, score: Bool = false,
                             unset: String, help: String, flag: OptionFlag? = nil) -> OptionKey<Float?> {
        OptionKey<Float?>(name, default: nil, help: help + "; unset: " + unset, flag: flag, valueName: "FLOAT",
                          expected: floatExpectation(range, score: score),
                          parse: { text in parseFloat(text, within: range).map { Float?.some($0) } },
                          format: { $0.map { String($0) } ?? "unset" })
    }
}

extension OptionKey where Value == Bool {
    /// true or false.
    public static func bool(_ name: String, default value: Bool, help: String, flag: OptionFlag? = nil) -> OptionKey<Bool> {
        OptionKey<Bool>(name, default: value, help: help, flag: flag, valueName: "BOOL", expected: "true or false",
                        parse: { Bool($0) }, format: { String($0) })
    }
}

extension OptionKey where Value == String? {
    /// Any text, or unset (nil) when `value` is nil.
    public static func text(_ name: String, default value: String?, help: String, valueName: String = "TEXT",
                            flag: OptionFlag? = nil) -> OptionKey<String?> {
        OptionKey<String?>(name, default: value, help: help, flag: flag, valueName: valueName, expected: "text",
                           parse: { String?.some($0) }, format: { $0 ?? "unset" })
    }
}

extension OptionKey where Value: Equatable {
    /// One of `choices` by name; the first name of a value is the one it is written with.
    public static func choice(_ name: String, default value: Value, choices: [(name: String, value: Value)], help: String,
                              flag: OptionFlag? = nil) -> OptionKey {
        let names = choices.map(\.name)
        let listed = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
        return OptionKey(name, default: value, help: help, flag: flag, valueName: names.joined(separator: "|"),
                         expected: listed,
                         parse: { text in choices.first { $0.name == text.trimmingCharacters(in: .whitespaces) }?.value },
                         format: { value in choices.first { $0.value == value }?.name ?? "\(value)" })
    }
}

extension OptionKey where Value == Set<Int>? {
    /// COCO categories by name or id ("person,car", "1,3"), or every class (nil, written "all").
    public static func classes(_ name: String, default value: Set<Int>?, help: String,
                               flag: OptionFlag? = nil) -> OptionKey<Set<Int>?> {
        OptionKey<Set<Int>?>(name, default: value, help: help, flag: flag, valueName: "CLASSES",
                             expected: "COCO class names or ids such as person,car, or all",
                             parse: { text in
                                 if text.trimmingCharacters(in: .whitespaces) == "all" { return Set<Int>??.some(nil) }
                                 guard case .success(let ids) = COCOCategories.ids(text) else { return nil }
                                 return Set<Int>??.some(ids)
                             },
                             format: { ids in ids.map { $0.sorted().map { COCOCategories.name($0) }.joined(separator: ",") } ?? "all" })
    }
}

private func parseFloat(_ text: String, within range: ClosedRange<Float>?) -> Float? {
    guard let v = Float(text.trimmingCharacters(in: .whitespaces)), v.isFinite else { return nil }
    if let range, !range.contains(v) { return nil }
    return v
}

private func floatExpectation(_ range: ClosedRange<Float>?, score: Bool) -> String {
    guard let range else { return "a number" }
    func text(_ v: Float) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
    return "\(score ? "a score" : "a number") from \(text(range.lowerBound)) to \(text(range.upperBound))"
}
