import Checkpoint
import Foundation
import MaskRCNN

/// Finds and loads Mask R-CNN weights for the stages: a checkpoint path (.pth in either PyTorch layout, or
/// .safetensors), `seeded:N` (reproducible random weights in the checkpoint layout, for demos and tests), or the
/// official file in the cache directory when no option is given. One-line `ZooError`s.
public enum ModelLoader {
    /// The state dict named by `option` (see the type's doc); one-line errors.
    public static func stateDict(option: String?, keypoints: Bool = false) throws -> StateDict {
        let official = keypoints ? HubCheckpoint.keypointRCNN : HubCheckpoint.maskRCNN
        if let option, option.hasPrefix("seeded:") {
            guard let seed = UInt64(option.dropFirst("seeded:".count)) else { throw ZooError.badSeed(option) }
            let layout = keypoints ? MaskRCNNLayout.keypointParameters() : MaskRCNNLayout.parameters()
            return SeededWeights.stateDict(layout: layout, seed: seed)
        }
        let path: String
        if let option {
            path = option
        } else {
            let directory = ModelZoo.cacheDirectory(), cached = directory.appendingPathComponent(official).path
            guard FileManager.default.fileExists(atPath: cached) else {
                throw ZooError.noWeights(model: keypoints ? "keypointrcnn_resnet50_fpn" : "maskrcnn_resnet50_fpn",
                                         file: official, cacheDirectory: directory.path)
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
        let wanted: ModelKind = keypoints ? .keypointRCNN : .maskRCNN
        guard let found = ModelKind.of(dict) else { throw ZooError.unreadable(path: path, reason: ModelKind.describe(dict)) }
        guard found == wanted else { throw ZooError.wrongModel(path: path, found: found, wanted: wanted) }
        return dict
    }

    /// The Keypoint R-CNN for `option` with `options`.
    public static func keypointModel(option: String?, options: ModelOptions) throws -> KeypointRCNN {
        let dict = try stateDict(option: option, keypoints: true)
        do {
            return try KeypointRCNN(stateDict: dict, options: options)
        } catch let e as WeightError {
            throw ZooError.unreadable(path: option ?? HubCheckpoint.keypointRCNN, reason: e.description)
        }
    }

    /// The model for `option` with `options`.
    public static func model(option: String?, options: ModelOptions) throws -> MaskRCNN {
        let dict = try stateDict(option: option)
        do {
            return try MaskRCNN(stateDict: dict, options: options)
        } catch let e as WeightError {
            throw ZooError.unreadable(path: option ?? HubCheckpoint.maskRCNN, reason: e.description)
        }
    }
}
