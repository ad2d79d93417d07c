import Checkpoint
import Foundation
import MaskRCNN
import Pipeline
import Tensor

/// Finds and loads Mask R-CNN weights for the stages: a checkpoint path (.pth in either PyTorch layout, or
/// .safetensors), `seeded:N` (reproducible random weights in the checkpoint layout, for demos and tests), or the
/// official file in the cache directory when no option is given.
public enum ModelLoader {
    /// torchvision's official COCO checkpoint file name (the hash prefix is part of the name).
    public static let officialMaskRCNN = "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"

    /// The cache directory: $MRCNN_CACHE, else $XDG_CACHE_HOME/mrcnn, else ~/.cache/mrcnn.
    public static var cacheDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["MRCNN_CACHE"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("mrcnn") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/mrcnn")
    }

    /// torchvision's official Keypoint R-CNN checkpoint file name.
    public static let officialKeypointRCNN = "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"

    /// The state dict named by `option` (see the type's doc); one-line errors.
    public static func stateDict(option: String?, keypoints: Bool = false) throws -> StateDict {
        let official = keypoints ? officialKeypointRCNN : officialMaskRCNN
        let flag = keypoints ? "--keypoint-weights" : "--weights"
        if let option, option.hasPrefix("seeded:") {
            guard let seed = UInt64(option.dropFirst("seeded:".count)) else {
                throw WeightError("\(flag) seeded:N needs a non-negative integer seed, got '\(option)'")
            }
            let layout = keypoints ? MaskRCNNLayout.keypointParameters() : MaskRCNNLayout.parameters()
            return SeededWeights.stateDict(layout: layout, seed: seed)
        }
        let path: String
        if let option {
            path = option
        } else {
            let cached = cacheDirectory.appendingPathComponent(official).path
            guard FileManager.default.fileExists(atPath: cached) else {
                throw WeightError("no weights: pass \(flag) FILE (torchvision's \(official)), run `mrcnn weights fetch \(keypoints ? "keypointrcnn_resnet50_fpn" : "maskrcnn_resnet50_fpn")` (or put the file in \(cacheDirectory.path)), or use \(flag) seeded:0 for reproducible random weights")
            }
            path = cached
        }
        guard FileManager.default.fileExists(atPath: path) else { throw WeightError("weights file not found: \(path)") }
        do {
            return try CheckpointReader.load(contentsOf: path)
        } catch {
            throw WeightError("\(path): \(error)")
        }
    }

    /// The Keypoint R-CNN for `option` with `options`.
    public static func keypointModel(option: String?, options: ModelOptions) throws -> KeypointRCNN {
        let dict = try stateDict(option: option, keypoints: true)
        do {
            return try KeypointRCNN(stateDict: dict, options: options)
        } catch let e as WeightError {
            throw WeightError("\(option ?? officialKeypointRCNN): \(e.description)")
        }
    }

    /// `options` with the engine settings of a stage context ("precision": fp32 | bf16 | bf16-emulated, "backend":
    /// auto | openblas | onednn); throws a one-line error on an unknown value.
    public static func engineOptions(_ context: [String: String], _ options: ModelOptions) throws -> ModelOptions {
        var o = options
        if let text = context["precision"] {
            guard let p = Precision(rawValue: text) else { throw StageError.invalidOption(key: "precision", value: text) }
            o.precision = p
        }
        if let text = context["backend"] {
            guard let b = ComputeBackend(rawValue: text) else { throw StageError.invalidOption(key: "backend", value: text) }
            o.backend = b
        }
        return o
    }

    /// The model for `option` with `options`.
    public static func model(option: String?, options: ModelOptions) throws -> MaskRCNN {
        let dict = try stateDict(option: option)
        do {
            return try MaskRCNN(stateDict: dict, options: options)
        } catch let e as WeightError {
            throw WeightError("\(option ?? officialMaskRCNN): \(e.description)")
        }
    }
}
