import Foundation
import Synchronization
import MaskRCNN
import Pipeline
import Tensor

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
