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
    let model: MaskRCNN
    let gate: ComputeGate
    let minScore: Float
    let workspace = Workspace()

    init(model: MaskRCNN, gate: ComputeGate, minScore: Float = 0) {
        self.model = model
        self.gate = gate
        self.minScore = minScore
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
        gate.run { model.predictMasks(features, &detections, workspace: workspace) }
        for i in batch.indices {
            for (d, j) in zip(detections[i], picked[i]) where j < batch[i].instances.count {
                if let m = d.mask { batch[i].instances[j].mask = InstanceMask(m) }
            }
            batch[i].features[DetectorFeatures.key] = nil
        }
    }
}
