import Foundation
import MaskRCNN
import Pipeline
import Tensor

/// Serialises the model's heavy work across stages: each stage's GEMMs already use every core through OpenBLAS,
/// so letting the detector and the mask head run at once only oversubscribes the cores.
final class ComputeGate: @unchecked Sendable {
    private let lock = NSLock()
    func run<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// The `detector` stage: Mask R-CNN's transform, backbone, FPN, RPN and box head on every frame of a micro-batch
/// (all frames' RoIs through the box head as one GEMM batch). Fills `instances` (boxes, COCO labels, scores) and
/// leaves the frame's features in `features` for the heads. Called from one task at a time.
public final class DetectorStage: Stage, @unchecked Sendable {
    public let name = "detector"
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
            batch[i].features = DetectorFeatures(image: features[i], detections: detections[i])
            batch[i].instances = detections[i].map { d in
                Instance(box: Box(x1: d.box.x1, y1: d.box.y1, x2: d.box.x2, y2: d.box.y2), categoryID: d.label, score: d.score)
            }
        }
    }
}

/// What the detector leaves in `FrameRecord.features`: the frame's pyramid and its detections, in `instances` order.
public struct DetectorFeatures: Sendable {
    public let image: ImageFeatures
    public let detections: [Detection]
}

/// The `mask` stage: the mask head on every detection of a micro-batch as one batch, pasted into the frame as
/// binary masks (threshold 0.5). Requires `detector` earlier; releases the features afterwards. One task at a time.
public final class MaskStage: Stage, @unchecked Sendable {
    public let name = "mask"
    let model: MaskRCNN
    let gate: ComputeGate
    let workspace = Workspace()

    init(model: MaskRCNN, gate: ComputeGate) {
        self.model = model
        self.gate = gate
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        let slots = batch.map { $0.features as? DetectorFeatures }
        guard slots.allSatisfy({ $0 != nil }) else {
            throw StageError.failed(stage: name, message: "no detector features on the frame (put 'detector' before 'mask')")
        }
        let features = slots.map { $0!.image }
        var detections = slots.map { $0!.detections }
        gate.run { model.predictMasks(features, &detections, workspace: workspace) }
        for i in batch.indices {
            for (j, d) in detections[i].enumerated() where j < batch[i].instances.count {
                if let m = d.mask {
                    batch[i].instances[j].mask = InstanceMask(x: m.x, y: m.y, width: m.width, height: m.height, bits: m.bits)
                }
            }
            batch[i].features = nil
        }
    }
}

/// Registers `detector`, `mask` and `keypoints`. Options: "weights" / "keypoint-weights" (path | seeded:N),
/// "score-threshold" (0.05), "min-size" (800), "max-size" (1333), "keypoint-threshold" (heatmap logit above which a
/// keypoint counts as visible, 2 as in Detectron). `detector` and `mask` share one loaded Mask R-CNN.
public enum DetectorPlugin {
    public static func register(in registry: StageRegistry) {
        @Sendable func sharedModel(_ context: StageContext) throws -> MaskRCNN {
            var options = ModelOptions()
            options.scoreThreshold = try context.float("score-threshold", default: 0.05)
            options.minSize = try context.int("min-size", default: 800)
            options.maxSize = try context.int("max-size", default: 1333)
            options = try ModelLoader.engineOptions(context.options, options)
            return try context.shared.value("maskrcnn") { try ModelLoader.model(option: context.options["weights"], options: options) }
        }
        registry.register("detector", summary: "Mask R-CNN R50-FPN detector: boxes, classes, scores") { context in
            context.shared.value("chain-facts") { ChainFacts() }.hasDetector = true
            let every = try context.int("detect-every", default: 1)
            guard every >= 1 else { throw StageError.invalidOption(key: "detect-every", value: String(every)) }
            return DetectorStage(model: try sharedModel(context), gate: context.shared.value("compute-gate") { ComputeGate() },
                                 detectEvery: every)
        }
        registry.register("mask", requires: ["detector"], summary: "Mask R-CNN mask head: per-instance masks") { context in
            MaskStage(model: try sharedModel(context), gate: context.shared.value("compute-gate") { ComputeGate() })
        }
        registry.register("keypoints", summary: "Keypoint R-CNN: person keypoints (alone, or attached to detector's people)") { context in
            var options = ModelOptions()
            options.scoreThreshold = try context.float("score-threshold", default: 0.05)
            options.minSize = try context.int("min-size", default: 800)
            options.maxSize = try context.int("max-size", default: 1333)
            options = try ModelLoader.engineOptions(context.options, options)
            let model = try context.shared.value("keypointrcnn") {
                try ModelLoader.keypointModel(option: context.options["keypoint-weights"], options: options)
            }
            return KeypointStage(model: model, gate: context.shared.value("compute-gate") { ComputeGate() },
                                 visibleScore: try context.float("keypoint-threshold", default: 2),
                                 afterDetector: context.shared.value("chain-facts") { ChainFacts() }.hasDetector)
        }
    }
}
