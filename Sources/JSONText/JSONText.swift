/// JSON text building blocks shared by every JSON writer of the package (results files, safetensors headers):
/// string literals with RFC 8259 escaping and numbers as the shortest decimal that reads back to the same value.
/// Pure functions, safe from any thread.
public enum JSONText {
    /// A JSON string literal: quotes, backslash and control characters escaped (`\n`, `\r`, `\t`, else `\u00XX`).
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The shortest decimal that reads back as the same Float32; JSON has no NaN or infinity: those become `null`.
    public static func number(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }

    /// The shortest decimal that reads back as the same Double; non-finite values become `null`.
    public static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

    /// A JSON object from already-encoded values, keys in the given order.
    public static func object(_ fields: [(key: String, value: String)]) -> String {
        "{" + fields.map { string($0.key) + ":" + $0.value }.joined(separator: ",") + "}"
    }

    /// A JSON array from already-encoded values.
    public static func array(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }
}
