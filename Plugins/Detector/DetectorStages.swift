import Foundation
import Synchronization
import MaskRCNN
import Pipeline
import Tensor

/// Serialises the model's heavy work across stages: each stage's GEMMs already use every core through OpenBLAS,
/// so letting the detector and the mask head run at once only oversubscribes the cores. Each stage waits on its
/// own thread, so waiting here holds no shared thread.
final class ComputeGate: Sendable {
    private let lock = Mutex(())
    func run<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock { _ in try body() }
    }
}

/// The `detector` stage: Mask R-CNN's transform, backbone, FPN, RPN and box head on every frame of a micro-batch
/// (all frames' RoIs through the box head as one GEMM batch). Fills `instances` (boxes, COCO labels, scores) and
/// leaves the frame's features under `DetectorFeatures.key` for the heads. Confined to its stage thread.
public final class DetectorStage: Stage {
    let model: MaskRCNN
    let gate: ComputeGate
    /// Run the RPN on every N-th frame only; in between, the previous frame's boxes are the proposals.
    let detectEvery: Int
    let workspace = Workspace()
    private var previous: [BoxF] = []

    init(model: MaskRCNN, gate: ComputeGate, detectEvery: Int = 1) {
        self.model = model
        self.gate = gate
        self.detectEvery = max(detectEvery, 1)
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        let (features, detections) = gate.run { () -> ([ImageFeatures], [[Detection]]) in
            if detectEvery == 1 {
                // Every frame has its own proposals: all frames' RoIs go through the box head as one batch.
                let features = batch.map { r in
                    model.features(RGBInput(width: r.image.width, height: r.image.height, pixels: r.image.pixels), workspace: workspace)
                }
                return (features, model.detect(features))
            }
            var features: [ImageFeatures] = []
            var detections: [[Detection]] = []
            // Frames whose proposals come from the previous frame must wait for it: run such frames one by one.
            for r in batch {
                let input = RGBInput(width: r.image.width, height: r.image.height, pixels: r.image.pixels)
                let keyframe = r.index % detectEvery == 0 || previous.isEmpty
                let f = model.detector.features(input, workspace: workspace, regions: keyframe ? nil : previous)
                let d = model.detect([f])[0]
                previous = d.map(\.box)
                features.append(f)
                detections.append(d)
            }
            return (features, detections)
        }
        for i in batch.indices {
            batch[i].features[DetectorFeatures.key] = DetectorFeatures(image: features[i], detections: detections[i])
            batch[i].instances = detections[i].map { Instance($0) }
        }
    }
}

/// What the detector leaves in `FrameRecord.features` under `key`: the frame's pyramid and its detections, in
/// `instances` order.
public struct DetectorFeatures: Sendable {
    public let image: ImageFeatures
    public let detections: [Detection]

    /// The typed key of this payload.
    public static let key = FeatureKey<DetectorFeatures>("maskrcnn")
}

/// The `mask` stage: the mask head on every detection of a micro-batch as one batch, pasted into the frame as
/// binary masks (threshold 0.5). Needs the detector's features; releases them afterwards. Confined to its thread.
public final class MaskStage: Stage {
    let model: MaskRCNN
    let gate: ComputeGate
    let workspace = Workspace()

    init(model: MaskRCNN, gate: ComputeGate) {
        self.model = model
        self.gate = gate
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        let slots = batch.map { $0.features[DetectorFeatures.key] }
        guard slots.allSatisfy({ $0 != nil }) else {
            throw StageError.failed(stage: "mask", message: "no detector features on the frame (put 'detector' before 'mask')")
        }
        let features = slots.map { $0!.image }
        var detections = slots.map { $0!.detections }
        gate.run { model.predictMasks(features, &detections, workspace: workspace) }
        for i in batch.indices {
            for (j, d) in detections[i].enumerated() where j < batch[i].instances.count {
                if let m = d.mask { batch[i].instances[j].mask = InstanceMask(m) }
            }
            batch[i].features[DetectorFeatures.key] = nil
        }
    }
}

/// Registers `detector`, `mask` and `keypoints`. `detector` and `mask` share one loaded Mask R-CNN, built with
/// the detector's options; every model stage shares one compute gate.
public enum DetectorPlugin {
    /// The model options both models declare (the keypoint model with its own weights).
    static func modelOptions(weightsHelp: String) -> [StageOption] {
        [.string("weights", default: nil, help: weightsHelp),
         .float("score-threshold", default: 0.05, help: "lowest detection score kept (torchvision's box_score_thresh)"),
         .int("min-size", default: 800, help: "short side of the model input (smaller is faster)"),
         .int("max-size", default: 1333, help: "upper bound of the long side of the model input")]
    }

    /// `ModelOptions` from the model options of `stage`.
    static func options(_ context: StageContext, of stage: String) throws -> ModelOptions {
        var options = ModelOptions()
        options.scoreThreshold = try context.float("score-threshold", of: stage)
        options.minSize = try context.int("min-size", of: stage)
        options.maxSize = try context.int("max-size", of: stage)
        for (key, value) in [("min-size", options.minSize), ("max-size", options.maxSize)] where value < 32 {
            throw StageError.invalidOption(key: "\(stage).\(key)", value: String(value), expected: "an integer ≥ 32")
        }
        return options
    }

    public static func register(in registry: StageRegistry) {
        @Sendable func sharedModel(_ context: StageContext) throws -> MaskRCNN {
            let options = try options(context, of: "detector")
            return try context.shared.value("maskrcnn") {
                try ModelLoader.model(option: context.string("weights", of: "detector"), options: options)
            }
        }
        @Sendable func gate(_ context: StageContext) -> ComputeGate { context.shared.value("compute-gate") { ComputeGate() } }
        let weights = "checkpoint (.pth, .safetensors) or seeded:N; unset: the official file in the cache directory"
        registry.register("detector", summary: "Mask R-CNN R50-FPN detector: boxes, classes, scores",
                          provides: [.boxes, .features(DetectorFeatures.key)],
                          options: modelOptions(weightsHelp: weights) + [
                              .int("detect-every", default: 1, help: "keyframe mode: the RPN runs on every N-th frame only"),
                          ]) { context in
            let every = try context.int("detect-every")
            guard every >= 1 else {
                throw StageError.invalidOption(key: "detector.detect-every", value: String(every), expected: "an integer ≥ 1")
            }
            return DetectorStage(model: try sharedModel(context), gate: gate(context), detectEvery: every)
        }
        registry.register("mask", summary: "Mask R-CNN mask head: per-instance masks (with the detector's model)",
                          needs: [.boxes, .features(DetectorFeatures.key)], provides: [.masks]) { context in
            MaskStage(model: try sharedModel(context), gate: gate(context))
        }
        registry.register("keypoints", summary: "Keypoint R-CNN: person keypoints (alone, or attached to earlier people)",
                          reads: [.boxes], provides: [.boxes, .keypoints],
                          options: modelOptions(weightsHelp: "Keypoint R-CNN " + weights) + [
                              .float("keypoint-threshold", default: 2, help: "heatmap logit above which a keypoint is visible"),
                          ]) { context in
            let options = try options(context, of: "keypoints")
            let model = try context.shared.value("keypointrcnn") {
                try ModelLoader.keypointModel(option: context.string("weights"), options: options)
            }
            return KeypointStage(model: model, gate: gate(context), visibleScore: try context.float("keypoint-threshold"),
                                 afterDetector: context.upstream.contains(.boxes))
        }
    }
}
