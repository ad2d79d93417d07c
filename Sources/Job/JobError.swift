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

    public var description: String {
        switch self {
        case let .outputIsInput(path): return "output '\(path)' is the input file; refusing to overwrite it"
        case let .resultsNeed(file, capability):
            return "\(file) results need \(capability): add a stage that provides them (see `mrcnn stages`)"
        case .outputsCollide: return "the video and results outputs must be different files"
        case let .notWritable(path, folder):
            return "cannot write \(path): directory '\(folder)' does not exist or is not writable"
        case .targetNeedsModel: return "--target-fps needs a model stage to adjust (detector or keypoints)"
        }
    }
}
