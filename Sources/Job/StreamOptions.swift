import Foundation
import Pipeline

/// The options one stream of a many-source run may take for itself, declared once and typed (`OptionKey`, as stage
/// options are) and written `NAME.OPTION=VALUE` (`mrcnn run … --stream-option shop.weight=2`, repeatable; the last
/// `.` before `=` ends the name): `target-fps`, the stream's own frame-rate target instead of the run's, and `weight`,
/// its share of the batch slots while several streams have frames ready. Checked against the sources' names and
/// the declarations before any I/O, one-line errors. A namespace.
public enum StreamOptions {
    public static let targetFPS = OptionKey<Double?>(
        "target-fps", default: nil, help: "This stream's own frame-rate target (its controller's; instead of --target-fps).",
        valueName: "FPS", expected: "a positive number of frames per second",
        parse: { text -> Double?? in Double(text).flatMap { $0.isFinite && $0 > 0 ? .some($0) : nil } },
        format: { $0.map { String($0) } ?? "the run's --target-fps" })
    public static let weight = OptionKey<Int>.int(
        "weight", default: 1, atLeast: 1, help: "Batch slots this stream gets for each one a stream of weight 1 gets, while both have frames ready.")
    /// Every per-stream option, in listing order.
    public static let all: [any StageOption] = [targetFPS, weight]

    /// A `NAME.OPTION=VALUE` that names no stream, no option, or a value the option does not take.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case noStream(String, streams: [String])
        case noOption(String, options: [String])
        case invalid(String, expected: String)
        case notTogether(String)

        public var description: String {
            switch self {
            case let .malformed(text): return "--stream-option must be NAME.OPTION=VALUE (got '\(text)')"
            case let .noStream(text, streams): return "--stream-option \(text): no such stream (streams: \(streams.joined(separator: ", ")))"
            case let .noOption(text, options): return "--stream-option \(text): no such option (\(options.joined(separator: ", ")))"
            case let .invalid(text, expected): return "--stream-option \(text): the value must be \(expected)"
            case let .notTogether(text): return "--stream-option \(text): per-stream options need inputs run together (several inputs, -o DIR/)"
            }
        }
    }

    /// `sources` with each assignment applied, in order (a later one wins).
    public static func apply(_ assignments: [String], to sources: [MultiStreamJob.Source]) throws -> [MultiStreamJob.Source] {
        var sources = sources
        for text in assignments {
            guard let eq = text.firstIndex(of: "="), let dot = text[..<eq].lastIndex(of: "."), dot > text.startIndex else {
                throw Problem.malformed(text)
            }
            let (name, option, value) = (String(text[..<dot]), String(text[text.index(after: dot)..<eq]), String(text[text.index(after: eq)...]))
            guard let k = sources.firstIndex(where: { $0.name == name }) else { throw Problem.noStream(text, streams: sources.map(\.name)) }
            switch option {
            case targetFPS.name:
                guard let fps = targetFPS.parse(value) else { throw Problem.invalid(text, expected: targetFPS.expected) }
                sources[k].targetFPS = fps
            case weight.name:
                guard let w = weight.parse(value) else { throw Problem.invalid(text, expected: weight.expected) }
                sources[k].weight = w
            default:
                throw Problem.noOption(text, options: all.map(\.name))
            }
        }
        return sources
    }
}
