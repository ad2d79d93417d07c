import Checkpoint
import Foundation
import Glibc
import MaskRCNN

/// Finds and loads detector weights for the stages: a checkpoint path (.pth in either PyTorch layout, or
/// .safetensors) of any torchvision R50-FPN detector — Mask R-CNN v1/v2, Faster R-CNN v1/v2, Keypoint R-CNN, told
/// apart by their tensors — `seeded:N` (reproducible random weights in a checkpoint layout, for demos and tests), or
/// the official file in the cache directory when no option is given. One-line `ZooError`s; once a model is built
/// from a file, `announce` gets one line naming the model found in it (by default written to stderr).
public enum ModelLoader {
    /// Where the "which model is in this file" line goes.
    public typealias Announce = @Sendable (String) -> Void

    /// Writes the line to stderr (the tool's channel for such notes).
    public static let standardError: Announce = { line in
        var s = "mrcnn: " + line + "\n"
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// The state dict named by `option`, the model it holds and the file it came from (nil for seeded weights).
    /// `seeded:N` gives `seededKind`'s layout; no option the official file of `seededKind` in `cache`. A file is
    /// recognised by its tensors; one that is no torchvision R-CNN is described.
    public static func load(option: String?, seededKind: ModelKind = .maskRCNN,
                            cache: URL = ModelZoo.defaultCacheDirectory) throws
        -> (dict: StateDict, kind: ModelKind, file: String?) {
        if let seed = try seed(option) {
            return (SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(of: seededKind), seed: seed), seededKind, nil)
        }
        let path: String
        if let option {
            path = option
        } else {
            // The official file of `seededKind`, else (for the detector) the first other detector file fetched.
            let candidates: [ModelKind] = seededKind == .keypointRCNN ? [.keypointRCNN]
                : [seededKind] + [ModelKind.maskRCNN, .maskRCNNv2, .fasterRCNNv2, .fasterRCNN].filter { $0 != seededKind }
            let directory = cache
            guard let cached = candidates.map({ directory.appendingPathComponent($0.officialFile).path })
                .first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw ZooError.noWeights(model: seededKind.rawValue, file: seededKind.officialFile, cacheDirectory: directory.path)
            }
            path = cached
        }
        guard FileManager.default.fileExists(atPath: path) else { throw ZooError.fileNotFound(path) }
        let dict: StateDict
        do {
            dict = try CheckpointReader.load(contentsOf: path)
        } catch {
            throw ZooError.unreadable(path: path, reason: String(describing: error))
        }
        // Recognised by its tensors: a file of another model is named, not failed on its first odd tensor.
        guard let found = ModelKind.of(dict) else { throw ZooError.unreadable(path: path, reason: ModelKind.describe(dict)) }
        return (dict, found, path)
    }

    /// The seed of a `seeded:N` option (nil for any other option); `seeded:` without a number is a one-line error.
    static func seed(_ option: String?) throws -> UInt64? {
        guard let option, option.hasPrefix("seeded:") else { return nil }
        guard let seed = UInt64(option.dropFirst("seeded:".count)) else { throw ZooError.badSeed(option) }
        return seed
    }

    /// What identifies weights in an int8 calibration: "seeded:N", or "sha256:" and the file's SHA-256.
    public static func weightsIdentity(option: String?, file: String?) throws -> String {
        if let file { return "sha256:" + (try FileDigest.sha256(ofFileAt: file)) }
        return option ?? "seeded:0"
    }

    /// Refuses an int8 run whose calibration is missing or was measured on other weights or another model.
    static func checkCalibration(_ options: ModelOptions, kind: ModelKind, option: String?, file: String?) throws {
        guard options.precision == .int8 else { return }
        guard let c = options.calibration else { throw ZooError.noCalibration }
        if c.model != kind.rawValue { throw ZooError.foreignCalibration("it is of \(c.model), the weights are \(kind.rawValue)") }
        let identity = try weightsIdentity(option: option, file: file)
        if c.weights != identity { throw ZooError.foreignCalibration("it was measured on weights \(c.weights.prefix(24)), these are \(identity.prefix(24))") }
    }

    /// The line `announce` gets for a model built from `file`.
    public static func announcement(file: String, kind: ModelKind, tensors: Int) -> String {
        "\(file): \(kind.displayName) (torchvision's \(kind.rawValue), \(tensors) tensors)"
    }

    /// The state dict named by `option` for the detector stages (any Mask or Faster R-CNN) or, with `keypoints`, for
    /// the keypoint stage (Keypoint R-CNN only); a file of the other family is refused by name.
    public static func stateDict(option: String?, keypoints: Bool = false,
                                 cache: URL = ModelZoo.defaultCacheDirectory) throws -> StateDict {
        try checked(option: option, keypoints: keypoints, cache: cache).dict
    }

    static func checked(option: String?, keypoints: Bool, cache: URL) throws -> (dict: StateDict, kind: ModelKind, file: String?) {
        let loaded = try load(option: option, seededKind: keypoints ? .keypointRCNN : .maskRCNN, cache: cache)
        if keypoints != (loaded.kind == .keypointRCNN) {
            throw ZooError.wrongModel(path: option ?? loaded.kind.officialFile, found: loaded.kind,
                                      wanted: keypoints ? .keypointRCNN : .maskRCNN)
        }
        return loaded
    }

    /// The Keypoint R-CNN for `option` with `options`.
    public static func keypointModel(option: String?, options: ModelOptions, cache: URL = ModelZoo.defaultCacheDirectory,
                                     announce: Announce = standardError) throws -> KeypointRCNN {
        let (dict, kind, file) = try checked(option: option, keypoints: true, cache: cache)
        try checkCalibration(options, kind: kind, option: option, file: file)
        do {
            let model = try KeypointRCNN(stateDict: dict, options: kernelCached(options, cache))
            if let file { announce(announcement(file: file, kind: kind, tensors: dict.count)) }
            return model
        } catch let e as WeightError {
            throw ZooError.unreadable(path: option ?? HubCheckpoint.keypointRCNN, reason: e.description)
        }
    }

    /// Whichever model `option` holds, for still images: a detector (Mask/Faster R-CNN) or Keypoint R-CNN.
    public enum AnyModel: Sendable {
        case detector(MaskRCNN)
        case keypoints(KeypointRCNN)
    }

    /// The model `option` holds, recognised by its tensors and announced (seeded weights: Mask R-CNN v1).
    public static func anyModel(option: String?, options: ModelOptions, cache: URL = ModelZoo.defaultCacheDirectory,
                                announce: Announce = standardError) throws -> AnyModel {
        let (dict, kind, file) = try load(option: option, cache: cache)
        try checkCalibration(options, kind: kind, option: option, file: file)
        do {
            let model: AnyModel = kind == .keypointRCNN ? .keypoints(try KeypointRCNN(stateDict: dict, options: kernelCached(options, cache)))
                : .detector(try MaskRCNN(stateDict: dict, kind: kind, options: kernelCached(options, cache)))
            if let file { announce(announcement(file: file, kind: kind, tensors: dict.count)) }
            return model
        } catch let e as WeightError {
            throw ZooError.unreadable(path: option ?? kind.officialFile, reason: e.description)
        }
    }

    /// The detector (Mask R-CNN v1/v2 or Faster R-CNN v1/v2, whichever `option` holds) with `options`.
    public static func model(option: String?, options: ModelOptions, cache: URL = ModelZoo.defaultCacheDirectory,
                             announce: Announce = standardError) throws -> MaskRCNN {
        let (dict, kind, file) = try checked(option: option, keypoints: false, cache: cache)
        try checkCalibration(options, kind: kind, option: option, file: file)
        do {
            let model = try MaskRCNN(stateDict: dict, kind: kind, options: kernelCached(options, cache))
            if let file { announce(announcement(file: file, kind: kind, tensors: dict.count)) }
            return model
        } catch let e as WeightError {
            throw ZooError.unreadable(path: option ?? kind.officialFile, reason: e.description)
        }
    }

    /// A calibrator for the model `option` holds (fp32, `options` otherwise) and the weights' identity its
    /// calibration is keyed by. A file's model is recognised by its tensors (any detector or Keypoint R-CNN);
    /// `keypoints` makes seeded weights and the unset option Keypoint R-CNN's (else the detector's).
    public static func calibrator(option: String?, keypoints: Bool = false, options: ModelOptions,
                                  cache: URL = ModelZoo.defaultCacheDirectory) throws -> (calibrator: Int8Calibrator, identity: String) {
        let (dict, kind, file) = try load(option: option, seededKind: keypoints ? .keypointRCNN : .maskRCNN, cache: cache)
        do {
            return (try Int8Calibrator(stateDict: dict, kind: kind, options: kernelCached(options, cache)),
                    try weightsIdentity(option: option, file: file))
        } catch let e as WeightError {
            throw ZooError.unreadable(path: option ?? kind.officialFile, reason: e.description)
        }
    }

    /// Where measured kernel choices are kept in a cache directory: its `kernels` folder.
    public static func kernelCacheDirectory(in cache: URL) -> String { cache.appendingPathComponent("kernels").path }

    /// `options` keeping measured kernel choices in `cache` unless they name their own folder.
    static func kernelCached(_ options: ModelOptions, _ cache: URL) -> ModelOptions {
        var o = options
        if o.kernelCacheDirectory == nil { o.kernelCacheDirectory = kernelCacheDirectory(in: cache) }
        return o
    }
}
