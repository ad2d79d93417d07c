import Foundation
import Synchronization
import MaskRCNN
import Pipeline
import Tensor

/// The `mask` stage: the mask head on every detection of a micro-batch as one batch, pasted into the frame as
/// binary masks (threshold 0.5). Detections scoring below `minScore` get no mask and cost no head work (set to the
/// drawing threshold when nothing writes them). Needs the detector's features; releases them afterwards. Confined
/// to its thread.
public final class MaskStage: Stage {
    let models: PrecisionModels<MaskRCNN>
    let gate: ComputeGate
    let minScore: Float
    let workspace = Workspace()
    let reportWait: @Sendable (Duration) -> Void

    init(models: PrecisionModels<MaskRCNN>, gate: ComputeGate, minScore: Float = 0,
         reportWait: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.models = models
        self.gate = gate
        self.minScore = minScore
        self.reportWait = reportWait
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        let slots = batch.map { $0.features[DetectorFeatures.key] }
        guard slots.allSatisfy({ $0 != nil }) else {
            throw StageError.failed(stage: "mask", message: "no detector features on the frame (put 'detector' before 'mask')")
        }
        let features = slots.map { $0!.image }
        // Only the detections someone draws or writes go through the head; `picked[i]` maps back to instances.
        let picked = slots.map { slot in slot!.detections.indices.filter { slot!.detections[$0].score >= minScore } }
        var detections = zip(slots, picked).map { slot, idx in idx.map { slot!.detections[$0] } }
        // The head at the precision the detector ran each frame at (the settings it fixed on the frame).
        let precisions = batch.indices.map { batch[$0].resolveSettings()?.precision }
        try gate.run(reportWait: reportWait) {
            try models.forEachGroup(precisions) { model, indices in
                var part = indices.map { detections[$0] }
                model.predictMasks(indices.map { features[$0] }, &part, workspace: workspace)
                for (k, i) in indices.enumerated() { detections[i] = part[k] }
            }
        }
        for i in batch.indices {
            for (d, j) in zip(detections[i], picked[i]) where j < batch[i].instances.count {
                if let m = d.mask { batch[i].instances[j].mask = InstanceMask(m) }
            }
            batch[i].features[DetectorFeatures.key] = nil
        }
    }
}
