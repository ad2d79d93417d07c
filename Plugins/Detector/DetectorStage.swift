import Foundation
import Synchronization
import MaskRCNN
import Pipeline
import Tensor

/// The `detector` stage: Mask R-CNN's transform, backbone, FPN, RPN and box head on every frame of a micro-batch
/// (all frames' RoIs through the box head as one GEMM batch). Fills `instances` (boxes, COCO labels, scores) and
/// leaves the frame's features under `DetectorFeatures.key` for the heads. Confined to its stage thread.
public final class DetectorStage: Stage {
    let models: PrecisionModels<MaskRCNN>
    let gate: ComputeGate
    /// Run the RPN on every N-th frame only; in between, the previous frame's boxes are the proposals.
    let detectEvery: Int
    /// COCO ids to keep (Ultralytics' `classes`); nil keeps all. Applied before the heads, so no mask or keypoint
    /// work is spent on classes nobody asked for.
    let classes: Set<Int>?
    let workspace = Workspace()
    let reportWait: @Sendable (Duration) -> Void
    /// Each stream's last frame's boxes (keyframe mode's proposals), so no stream takes another's.
    private var previous: [Int: [BoxF]] = [:]

    init(models: PrecisionModels<MaskRCNN>, gate: ComputeGate, detectEvery: Int = 1, classes: Set<Int>? = nil,
         reportWait: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.models = models
        self.gate = gate
        self.detectEvery = max(detectEvery, 1)
        self.classes = classes
        self.reportWait = reportWait
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        // A frame may carry the settings a frame-rate controller chose for it; they override the stage's options.
        let settings = batch.indices.map { batch[$0].resolveSettings() }
        let every = settings.map { $0?.keyframeInterval ?? detectEvery }
        func input(_ r: FrameRecord) -> RGBInput { RGBInput(width: r.image.width, height: r.image.height, pixels: r.image.pixels) }
        var features = [ImageFeatures?](repeating: nil, count: batch.count)
        var detections = [[Detection]](repeating: [], count: batch.count)
        try gate.run(reportWait: reportWait) {
            // Frames at one precision run together (a controller's precision change splits a batch at most once).
            try models.forEachGroup(settings.map { $0?.precision }) { model, indices in
                if indices.allSatisfy({ every[$0] <= 1 }) {
                    // Every frame has its own proposals: all frames' RoIs go through the box head as one batch.
                    let f = indices.map { i in
                        model.features(input(batch[i]), workspace: workspace, minSize: settings[i]?.shortSide,
                                       proposals: settings[i]?.proposals)
                    }
                    let d = model.detect(f, workspace: workspace)
                    for (k, i) in indices.enumerated() { (features[i], detections[i]) = (f[k], d[k]) }
                    for (k, i) in indices.enumerated() { previous[batch[i].stream] = d[k].map(\.box) }
                    return
                }
                // Frames whose proposals come from the previous frame must wait for it: run such frames one by one.
                for i in indices {
                    let last = previous[batch[i].stream] ?? []
                    let keyframe = batch[i].index % max(every[i], 1) == 0 || last.isEmpty
                    let f = model.detector.features(input(batch[i]), workspace: workspace, regions: keyframe ? nil : last,
                                                    minSize: settings[i]?.shortSide, proposals: settings[i]?.proposals)
                    let d = model.detect([f], workspace: workspace)[0]
                    previous[batch[i].stream] = d.map(\.box)
                    (features[i], detections[i]) = (f, d)
                }
            }
        }
        let kept = classes.map { allowed in detections.map { $0.filter { allowed.contains($0.label) } } } ?? detections
        for i in batch.indices {
            batch[i].features[DetectorFeatures.key] = DetectorFeatures(image: features[i]!, detections: kept[i])
            batch[i].instances = kept[i].map { Instance($0) }
        }
    }
}
