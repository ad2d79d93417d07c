/// Failures reading or writing results files; `description` is one line naming the file (and line).
public enum ResultsError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(path: String, reason: String)
    /// The reader of standard output (`-`) went away (a closed pipe): not a failure of the run, its end.
    case readerGone(path: String)
    case cannotRead(path: String)
    /// A line of a JSON Lines file (1-based) that does not decode; `reason` names the field.
    case malformedLine(path: String, line: Int, reason: String)
    /// A COCO results array that does not decode.
    case malformedCOCO(path: String, reason: String)
    /// A reference results file with no detection scoring at least the comparison's cut.
    case nothingToCompare(path: String, cut: Float)
    /// A comparison setting out of its range (`--NAME`).
    case invalidSetting(name: String, value: Float, expected: String)
    /// Results computed on frames of another size than the video they are drawn on.
    case sizeMismatch(path: String, results: String, video: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason): return "cannot write \(path): \(reason)"
        case .readerGone: return "standard output was closed by its reader"
        case let .cannotRead(path): return "\(path): cannot read the results file"
        case let .malformedLine(path, line, reason): return "\(path):\(line): \(reason)"
        case let .malformedCOCO(path, reason): return "\(path): \(reason)"
        case let .nothingToCompare(path, cut): return "\(path): no detection scores ≥ \(cut): nothing to compare (lower --cut)"
        case let .invalidSetting(name, value, expected): return "--\(name) must be \(expected), got \(value)"
        case let .sizeMismatch(path, results, video):
            return "\(path): the results were computed on \(results) frames, the video is \(video); boxes and masks would be misplaced (render onto the video they came from)"
        }
    }
}
