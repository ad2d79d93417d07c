import MaskRCNN

/// Failures finding, loading or fetching weights; `description` is one line and names no command-line flag.
public enum ZooError: Error, CustomStringConvertible, Equatable {
    /// No weights named and the official file is not in the cache directory.
    case noWeights(model: String, file: String, cacheDirectory: String)
    case badSeed(String)
    case fileNotFound(String)
    case cannotRead(String)
    /// A checkpoint that does not load or does not fit the model.
    case unreadable(path: String, reason: String)
    case unknownModel(String, known: String)
    /// A checkpoint of another model than the one asked for (told by its tensors).
    case wrongModel(path: String, found: ModelKind, wanted: ModelKind)
    case badFileName(String)
    /// Both a model name and a file name to fetch.
    case modelAndFile
    case noHashPrefix(String)
    case badBaseURL(String)
    case insecureURL(String)
    case insecureRedirect(from: String, to: String)
    case cannotWrite(path: String, reason: String)
    case http(url: String, status: Int, reason: String)
    case transfer(url: String, reason: String)
    case truncated(url: String, received: Int64, expected: Int64)
    case hashMismatch(file: String, expected: String, got: String)
    case notACheckpoint(url: String, reason: String)
    /// int8 scales measured on other weights or another model than the ones loaded.
    case foreignCalibration(String)
    /// precision int8 without a calibration.
    case noCalibration

    public var description: String {
        switch self {
        case let .noWeights(model, file, cache):
            return "no weights for \(model): give a checkpoint file (torchvision's \(file)), fetch it into the cache directory \(cache) (`mrcnn weights fetch \(model)`), or use seeded:0 for reproducible random weights"
        case let .badSeed(text): return "seeded:N needs a non-negative integer seed, got '\(text)'"
        case let .fileNotFound(path): return "weights file not found: \(path)"
        case let .cannotRead(path): return "cannot read \(path)"
        case let .unreadable(path, reason): return "\(path): \(reason)"
        case let .foreignCalibration(reason): return "the int8 calibration does not fit these weights: \(reason); calibrate again"
        case .noCalibration: return "precision int8 needs the int8 scales of these weights: measure them with `mrcnn calibrate INPUT... -o FILE`"
        case let .unknownModel(name, known): return "unknown model '\(name)' (known: \(known))"
        case let .wrongModel(path, found, wanted):
            let which: String
            switch found {
            case .keypointRCNN: which = "it belongs to the keypoints stage (keypoints.weights)"
            default: which = "it belongs to the detector stage (detector.weights)"
            }
            return "\(path) is a \(found.displayName) checkpoint (torchvision's \(found.rawValue)), not \(wanted.displayName): \(which)"
        case let .badFileName(name): return "not a plain file name: '\(name)'"
        case .modelAndFile: return "give a model name or a file name, not both"
        case let .noHashPrefix(file):
            return "'\(file)' has no torch.hub hash prefix (name-<lowercase hex>.ext); refusing an unverifiable download"
        case let .badBaseURL(base): return "bad base URL '\(base)' (expected http:// or https://)"
        case let .insecureURL(base): return "refusing plain http to '\(base)': use https, a loopback mirror, or allow insecure downloads"
        case let .insecureRedirect(from, to): return "\(from): refusing a redirect from https to plain http (\(to))"
        case let .cannotWrite(path, reason): return "cannot write \(path): \(reason)"
        case let .http(url, status, reason): return "\(url): HTTP \(status)\(reason.isEmpty ? "" : " \(reason)")"
        case let .transfer(url, reason): return "\(url): \(reason)"
        case let .truncated(url, received, expected): return "\(url): download ended after \(received) of \(expected) bytes"
        case let .hashMismatch(file, expected, got):
            return "\(file): hash mismatch: expected SHA-256 prefix \(expected), got \(got) (download discarded)"
        case let .notACheckpoint(url, reason): return "\(url) is not a checkpoint (download discarded): \(reason)"
        }
    }
}
