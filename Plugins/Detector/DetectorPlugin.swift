import Foundation
import MaskRCNN
import Pipeline
import Tensor

/// Registers `detector`, `mask` and `keypoints`. `detector` loads the detector (Mask R-CNN v1/v2 or, boxes only,
/// Faster R-CNN v1/v2, whichever the weights hold) with its own options and leaves it in the chain's shared
/// resources, where `mask` (built after it) finds it; `keypoints` loads Keypoint R-CNN with its own options. Every
/// model stage of a chain shares one compute gate. Options are declared once, in `ModelOptionKeys`.
public enum DetectorPlugin {
    /// Where the detector leaves its model (at each precision the run uses) for the mask head.
    public static let detectorModel = SharedKey<PrecisionModels<MaskRCNN>>("maskrcnn")
    static let keypointModel = SharedKey<PrecisionModels<KeypointRCNN>>("keypointrcnn")

    /// The model of a stage at each precision it uses, loaded by `load` (with the options at that precision and the
    /// announcer: only the stage's own precision is announced). Where a controller's ladder may
    /// step precisions (`ModelOptionKeys.ladderPrecisions`), all are loaded at the start, so a step costs no load in
    /// the middle of the run.
    static func loadModels<Model: Sendable>(_ values: OptionValues,
                                        load: @escaping @Sendable (ModelOptions, @escaping ModelLoader.Announce) throws -> Model)
        throws -> PrecisionModels<Model> {
        let options = try ModelOptionKeys.modelOptions(values)
        let steps = ModelOptionKeys.ladderPrecisions(try values[ModelOptionKeys.precision], calibrated: options.calibration != nil)
        let eager: [Precision] = steps.count > 1 ? steps : []
        return try PrecisionModels(standard: options.precision, eager: eager) { p in
            var o = options
            o.precision = p
            let silent: ModelLoader.Announce = { _ in }
            return try load(o, p == options.precision.effective ? ModelLoader.standardError : silent)
        }
    }

    /// Adds the stages; weights left unset are the official files in `cache`.
    public static func register(in registry: StageRegistry, cache: URL = ModelZoo.defaultCacheDirectory) {
        typealias K = ModelOptionKeys
        registry.register("detector", summary: "Mask/Faster R-CNN R50-FPN (v1 or v2) detector: boxes, classes, scores",
                          provides: [.boxes, .features(DetectorFeatures.key)],
                          options: [K.weights] + K.model + [K.detectEvery, K.classes],
                          traits: StageTraits(perFrame: true, instanceUse: .none,
                                              settings: K.settingsControl(keyframes: K.detectEvery))) { context in
            let weights = try context[K.weights]
            let models = try context.shared.value(detectorModel) {
                try loadModels(context.options) { try ModelLoader.model(option: weights, options: $0, cache: cache, announce: $1) }
            }
            return DetectorStage(models: models, gate: try ComputeGate.joined(context), detectEvery: try context[K.detectEvery],
                                 classes: try context[K.classes], reportWait: context.reportWait)
        }
        registry.register("mask", summary: "Mask R-CNN mask head: per-instance masks (with the detector's model)",
                          needs: [.boxes, .features(DetectorFeatures.key)], provides: [.masks], options: [K.headMinScore],
                          traits: StageTraits(perFrame: true, instanceUse: .none, scoreCut: K.headMinScore)) { context in
            guard let models = context.shared.existing(detectorModel) else {
                throw StageError.failed(stage: "mask", message: "no detector model in this chain (put 'detector' before 'mask')")
            }
            let model = models.primary
            guard model.hasMasks else {
                throw StageError.failed(stage: "mask", message: "the detector's weights are a \(model.kind.displayName) checkpoint, which has no mask head (run the chain without mask, or give Mask R-CNN weights)")
            }
            return MaskStage(models: models, gate: try ComputeGate.joined(context), minScore: try context[K.headMinScore],
                             reportWait: context.reportWait)
        }
        registry.register("keypoints", summary: "Keypoint R-CNN: person keypoints (alone, or attached to earlier people)",
                          reads: [.boxes], provides: [.boxes, .keypoints],
                          options: [K.keypointWeights] + K.model + [K.keypointThreshold, K.headMinScore],
                          traits: StageTraits(perFrame: true, instanceUse: .none, scoreCut: K.headMinScore,
                                              settings: K.settingsControl(keyframes: nil))) { context in
            let weights = try context[K.keypointWeights]
            let models = try context.shared.value(keypointModel) {
                try loadModels(context.options) { try ModelLoader.keypointModel(option: weights, options: $0, cache: cache, announce: $1) }
            }
            return KeypointStage(models: models, gate: try ComputeGate.joined(context), visibleScore: try context[K.keypointThreshold],
                                 afterDetector: context.upstream.contains(.boxes), minScore: try context[K.headMinScore],
                                 reportWait: context.reportWait)
        }
    }
}
