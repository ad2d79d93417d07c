import Pipeline

/// Failures of a `VideoJob` before or around its run; `description` is one line.
public enum JobError: Error, CustomStringConvertible, Equatable {
    case outputIsInput(String)
    /// A results file whose format needs something no stage of the chain provides.
    case resultsNeed(file: String, capability: Capability)
    case outputsCollide
    case notWritable(path: String, folder: String)
    /// A frame-rate target with no model stage to adjust.
    case targetNeedsModel
    /// `--resume` refused: the outputs were made from another input or with other settings.
    case cannotResume(output: String, reason: String)
    /// A many-input run whose list names no input.
    case noInputs(String)
    /// `--shard` that is not INDEX/COUNT with 0 ≤ INDEX < COUNT.
    case badShard(String)

    public var description: String {
        switch self {
        case let .outputIsInput(path): return "output '\(path)' is the input file; refusing to overwrite it"
        case let .resultsNeed(file, capability):
            return "\(file) results need \(capability): add a stage that provides them (see `mrcnn stages`)"
        case .outputsCollide: return "the video and results outputs must be different files"
        case let .notWritable(path, folder):
            return "cannot write \(path): directory '\(folder)' does not exist or is not writable"
        case .targetNeedsModel: return "--target-fps needs a model stage to adjust (detector or keypoints)"
        case let .cannotResume(output, reason): return "cannot resume \(output): \(reason); run without --resume to start over"
        case let .noInputs(list): return "\(list): names no input (a directory of videos, a glob, or a .txt list)"
        case let .badShard(text): return "--shard expects INDEX/COUNT with 0 <= INDEX < COUNT, got '\(text)'"
        }
    }
}
