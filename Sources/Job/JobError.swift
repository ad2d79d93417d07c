import Pipeline

/// Failures of a `VideoJob` before or around its run; `description` is one line.
public enum JobError: Error, CustomStringConvertible, Equatable {
    case outputIsInput(String)
    /// A results file whose format needs something no stage of the chain provides.
    case resultsNeed(file: String, capability: Capability)
    case outputsCollide
    case notWritable(path: String, folder: String)
    /// A frame-rate target with no stage in the chain that takes frame settings (`stages`: those that do).
    case nothingToControl(stages: [String])
    /// A resume refused: the outputs were made from another input or with other settings.
    case cannotResume(output: String, reason: String)
    /// A job setting out of its range: `name` is the setting as a tool spells it ("batch-size"), `expected` what it takes.
    case invalidSetting(name: String, value: String, expected: String)
    /// A preview token given without a preview address.
    case tokenWithoutServer
    /// A still-image job with no image.
    case noImages
    case noSuchInput(String)
    /// Image ids from file names asked for, and this file's name is no number.
    case noNumberInName(String)
    /// A benchmark clip with fewer than the two frames it needs (a warm-up and a timed one).
    case tooFewFrames(String, found: Int)
    /// A many-input run whose list names no input.
    case noInputs(String)
    /// A shard that is not INDEX/COUNT with 0 ≤ INDEX < COUNT.
    case badShard(String)
    /// More than one output named standard output (`-`), or `-` with resume (there is nothing to continue in a pipe).
    case standardOutputTwice
    case resumeToStandardOutput
    /// More than one video file among the outputs (a run writes one file and any number of streams).
    case videoFilesCollide([String])
    /// Two sources of one run given the same name (`NAME=INPUT`).
    case streamNamedTwice(String)
    /// A stream added to a run that does not take new streams (not started yet, or ending).
    case notRunning

    public var description: String {
        switch self {
        case let .outputIsInput(path): return "output '\(path)' is the input file; refusing to overwrite it"
        case let .resultsNeed(file, capability):
            return "\(file) results need \(capability): add a stage that provides them (see `mrcnn stages`)"
        case .outputsCollide: return "the video and results outputs must be different files"
        case let .notWritable(path, folder):
            return "cannot write \(path): directory '\(folder)' does not exist or is not writable"
        case let .nothingToControl(stages):
            return "a frame-rate target needs a stage that takes frame settings (\(stages.joined(separator: " or ")))"
        case let .cannotResume(output, reason): return "cannot resume \(output): \(reason)"
        case let .invalidSetting(name, value, expected): return "\(name) must be \(expected) (got \(value))"
        case .tokenWithoutServer: return "a preview token needs a preview address to serve at"
        case .noImages: return "no input images"
        case let .noSuchInput(path): return "\(path): no such file"
        case let .noNumberInName(path): return "'\(path)' has no number as its file name (e.g. 000000000139.jpg) to take the image id from"
        case let .tooFewFrames(input, found):
            return found == 0 ? "\(input): no frames" : "\(input): one frame only; a benchmark needs a warm-up frame and a timed one"
        case let .noInputs(list): return "\(list): names no input (a directory of videos, a glob, or a .txt list)"
        case let .badShard(text): return "a shard is INDEX/COUNT with 0 <= INDEX < COUNT, got '\(text)'"
        case .standardOutputTwice: return "only one output can go to standard output (-)"
        case .resumeToStandardOutput: return "a run writing to standard output (-) cannot be resumed"
        case .notRunning: return "the run does not take new streams now (not reading yet, or ending)"
        case let .streamNamedTwice(name): return "two streams are named '\(name)'; give each its own NAME=INPUT"
        case let .videoFilesCollide(files):
            return "one video file per run (and any number of rtmp://, srt://, .m3u8 or - outputs); got \(files.joined(separator: " and "))"
        }
    }
}
