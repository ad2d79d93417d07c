import Foundation
import MaskRCNN
import Pipeline
import Tensor

/// Detection on still images with whichever torchvision R-CNN a checkpoint holds, recognised by its tensors:
/// Mask/Faster R-CNN (boxes and classes, the class filter before the mask head, masks when it has a mask head) or
/// Keypoint R-CNN (people with keypoints). Built from the `detector` stage's checked options (`ModelOptionKeys`),
/// so a still is computed exactly as a video frame is. One image at a time (one workspace); not thread-safe.
public final class StillImageDetector {
    private enum Model {
        case detector(MaskRCNN)
        case keypoints(KeypointRCNN)
    }

    private let model: Model
    private let classes: Set<Int>?
    private let workspace = Workspace()

    /// The options `detect` and still-image jobs take: the detector's model options and class filter.
    public static let options: [any StageOption] = [ModelOptionKeys.weights] + ModelOptionKeys.model + [ModelOptionKeys.classes]

    /// Loads the model the `weights` option names (unset: the official file in `cache`) with the other options.
    public init(options values: OptionValues, cache: URL = ModelZoo.defaultCacheDirectory) throws {
        let options = try ModelOptionKeys.modelOptions(values)
        classes = try values[ModelOptionKeys.classes]
        switch try ModelLoader.anyModel(option: try values[ModelOptionKeys.weights], options: options, cache: cache) {
        case .detector(let m): model = .detector(m)
        case .keypoints(let m): model = .keypoints(m)
        }
    }

    /// Whether the instances carry masks (Mask R-CNN); Faster and Keypoint R-CNN give none.
    public var hasMasks: Bool {
        if case .detector(let m) = model { return m.hasMasks }
        return false
    }

    /// The instances of one image: boxes in its pixels, COCO classes, scores, masks or keypoints.
    public func detect(_ image: RGBImage) -> [Instance] {
        let input = RGBInput(width: image.width, height: image.height, pixels: image.pixels)
        switch model {
        case .detector(let model):
            // Transform, backbone, RPN and box head; the class filter; then the mask head on what is kept.
            let features = model.features(input, workspace: workspace)
            var found = model.detect([features], workspace: workspace)
            if let classes { found[0] = found[0].filter { classes.contains($0.label) } }
            model.predictMasks([features], &found, workspace: workspace)
            return found[0].map { Instance($0) }
        case .keypoints(let model):
            return model(input, workspace: workspace).filter { classes?.contains($0.label) ?? true }.map { Instance($0) }
        }
    }
}
