import Foundation
import Synchronization
import MaskRCNN
import Pipeline
import Tensor

/// Registers `detector`, `mask` and `keypoints`. `detector` and `mask` share one loaded detector (Mask R-CNN v1/v2
/// or, boxes only, Faster R-CNN v1/v2, whichever the weights hold), built with the detector's options; every model
/// stage shares one compute gate.
public enum DetectorPlugin {
    /// The model options both models declare (the keypoint model with its own weights).
    static func modelOptions(weightsHelp: String) -> [StageOption] {
        [.string("weights", default: nil, help: weightsHelp),
         .float("score-threshold", default: 0.05, help: "lowest detection score kept (torchvision's box_score_thresh)"),
         .int("min-size", default: 800, help: "short side of the model input (smaller is faster)"),
         .int("max-size", default: 1333, help: "upper bound of the long side of the model input"),
         .string("precision", default: "fp32", help: "fp32 (torchvision parity), bf16 (AMX/AVX512-BF16, else fp32 with a warning), auto (bf16 where the CPU has bf16 units, else fp32; a frame-rate controller starts at fp32 and may step to bf16) or bf16-emulated"),
         .string("backend", default: "auto", help: "auto (per layer kind, by measurement), openblas or onednn"),
         .int("proposals", default: 1000, help: "RPN proposals kept after NMS per frame (torchvision's rpn_post_nms_top_n_test, 1000; fewer is faster)"),
         .int("detections", default: 100, help: "most detections kept per frame (torchvision's box_detections_per_img, 100)")]
    }

    /// `ModelOptions` from the model options of `stage`.
    static func options(_ context: StageContext, of stage: String) throws -> ModelOptions {
        var options = ModelOptions()
        options.scoreThreshold = try context.float("score-threshold", of: stage)
        options.minSize = try context.int("min-size", of: stage)
        options.maxSize = try context.int("max-size", of: stage)
        let precision = context.string("precision", of: stage) ?? "fp32", backend = context.string("backend", of: stage) ?? "auto"
        guard let p = Precision.named(precision) else {
            throw StageError.invalidOption(key: "\(stage).precision", value: precision, expected: "fp32, bf16, auto or bf16-emulated")
        }
        guard let b = ComputeBackend(rawValue: backend) else {
            throw StageError.invalidOption(key: "\(stage).backend", value: backend, expected: "auto, openblas or onednn")
        }
        options.precision = p
        options.backend = b
        options.rpnPostNMSTopN = try context.int("proposals", of: stage)
        options.detectionsPerImage = try context.int("detections", of: stage)
        for (key, value) in [("proposals", options.rpnPostNMSTopN), ("detections", options.detectionsPerImage)] where value < 1 {
            throw StageError.invalidOption(key: "\(stage).\(key)", value: String(value), expected: "an integer ≥ 1")
        }
        guard (0...1).contains(options.scoreThreshold) else {
            throw StageError.invalidOption(key: "\(stage).score-threshold", value: String(options.scoreThreshold), expected: "a score from 0 to 1")
        }
        for (key, value) in [("min-size", options.minSize), ("max-size", options.maxSize)] where value < 32 {
            throw StageError.invalidOption(key: "\(stage).\(key)", value: String(value), expected: "an integer ≥ 32")
        }
        return options
    }

    /// The heads' own cut: no head work on detections nobody draws or writes (`VideoJob` sets it to the drawing
    /// threshold when no results file keeps the rest).
    static let headMinScore = StageOption.float("min-score", default: 0,
                                                help: "run the head only on detections scoring at least this; the rest get none")

    /// A score option of the stage being built, checked to be in 0…1.
    static func score(_ context: StageContext, _ name: String) throws -> Float {
        let value = try context.float(name)
        guard (0...1).contains(value) else {
            throw StageError.invalidOption(key: "\(context.stage).\(name)", value: String(value), expected: "a score from 0 to 1")
        }
        return value
    }

    /// The model of `stage` at each precision it uses, loaded by `load` (with the options at that precision and the
    /// announcer: only the stage's own precision is announced). Where a controller's ladder may step fp32 → bf16,
    /// both are loaded at the start, so the step costs no load in the middle of the run.
    static func models<Model: Sendable>(_ context: StageContext, _ stage: String, options: ModelOptions,
                                        load: @escaping @Sendable (ModelOptions, @escaping ModelLoader.Announce) throws -> Model)
        throws -> PrecisionModels<Model> {
        let eager: [Precision] = ladderMaySwitchToBF16(precision: context.string("precision", of: stage)) ? [.fp32, .bf16] : []
        return try PrecisionModels(standard: options.precision, eager: eager) { p in
            var o = options
            o.precision = p
            let silent: ModelLoader.Announce = { _ in }
            return try load(o, p == options.precision.effective ? ModelLoader.standardError : silent)
        }
    }

    /// Whether a frame-rate controller's ladder may step from fp32 to bf16 for a model stage with `precision`:
    /// only with `auto`, and only where bf16 is faster (the CPU has bf16 units).
    public static func ladderMaySwitchToBF16(precision: String?) -> Bool {
        precision == "auto" && CPUFeatures.current.hasBF16Units
    }

    /// Why `precision auto` runs what it runs on this CPU, e.g. "this CPU has no bf16 units (AVX2+FMA, …)".
    public static var automaticPrecisionReason: String { Precision.automaticReason }

    /// Adds the stages; weights left unset are the official files in `cache`.
    public static func register(in registry: StageRegistry, cache: URL = ModelZoo.defaultCacheDirectory) {
        @Sendable func sharedModel(_ context: StageContext) throws -> PrecisionModels<MaskRCNN> {
            let options = try options(context, of: "detector"), weights = context.string("weights", of: "detector")
            return try context.shared.value("maskrcnn") {
                try DetectorPlugin.models(context, "detector", options: options) { try ModelLoader.model(option: weights, options: $0, cache: cache, announce: $1) }
            }
        }
        @Sendable func gate(_ context: StageContext) -> ComputeGate { context.shared.value(ComputeGate.sharedKey) { ComputeGate() } }
        let weights = "checkpoint (.pth, .safetensors) or seeded:N; unset: the official file in the cache directory"
        registry.register("detector", summary: "Mask/Faster R-CNN R50-FPN (v1 or v2) detector: boxes, classes, scores",
                          provides: [.boxes, .features(DetectorFeatures.key)],
                          options: modelOptions(weightsHelp: weights) + [
                              .int("detect-every", default: 1, help: "keyframe mode: the RPN runs on every N-th frame only"),
                              .string("classes", default: nil,
                                      help: "keep only these COCO classes (e.g. person,car), before the mask and keypoint heads"),
                          ]) { context in
            let every = try context.int("detect-every")
            guard every >= 1 else {
                throw StageError.invalidOption(key: "detector.detect-every", value: String(every), expected: "an integer ≥ 1")
            }
            let classes = try context.string("classes").map { list -> Set<Int> in
                switch COCOCategories.ids(list) {
                case .success(let ids): return ids
                case .failure: throw StageError.invalidOption(key: "detector.classes", value: list, expected: "COCO class names such as person,car, or ids")
                }
            }
            return DetectorStage(models: try sharedModel(context), gate: gate(context), detectEvery: every, classes: classes)
        }
        registry.register("mask", summary: "Mask R-CNN mask head: per-instance masks (with the detector's model)",
                          needs: [.boxes, .features(DetectorFeatures.key)], provides: [.masks],
                          options: [headMinScore]) { context in
            let models = try sharedModel(context)
            let model = models.primary
            guard model.hasMasks else {
                throw StageError.failed(stage: "mask", message: "the detector's weights are a \(model.kind.displayName) checkpoint, which has no mask head (run --stages detector,render, or give Mask R-CNN weights)")
            }
            return MaskStage(models: models, gate: gate(context), minScore: try score(context, "min-score"))
        }
        registry.register("keypoints", summary: "Keypoint R-CNN: person keypoints (alone, or attached to earlier people)",
                          reads: [.boxes], provides: [.boxes, .keypoints],
                          options: modelOptions(weightsHelp: "Keypoint R-CNN " + weights) + [
                              .float("keypoint-threshold", default: 2, help: "heatmap logit above which a keypoint is visible"),
                              headMinScore,
                          ]) { context in
            let options = try options(context, of: "keypoints")
            let weights = context.string("weights")
            let models = try context.shared.value("keypointrcnn") {
                try DetectorPlugin.models(context, "keypoints", options: options) { try ModelLoader.keypointModel(option: weights, options: $0, cache: cache, announce: $1) }
            }
            return KeypointStage(models: models, gate: gate(context), visibleScore: try context.float("keypoint-threshold"),
                                 afterDetector: context.upstream.contains(.boxes), minScore: try score(context, "min-score"))
        }
    }
}
