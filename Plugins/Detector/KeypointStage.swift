import Foundation
import MaskRCNN
import Pipeline
import Tensor

/// The `keypoints` stage: Keypoint R-CNN (its own checkpoint: backbone, person detector and keypoint head) on every
/// frame of a micro-batch, all RoIs through the heads as one batch. Alone (no `detector` earlier) it produces
/// the person instances with their 17 keypoints. After `detector` it attaches each keypoint set to the person
/// instance it overlaps most (box IoU ≥ 0.5) and adds nothing else. Confined to its stage thread.
public final class KeypointStage: Stage {
    let models: PrecisionModels<KeypointRCNN>
    let gate: ComputeGate
    let visibleScore: Float
    let afterDetector: Bool
    /// People scoring below this get no keypoints and cost no keypoint-head work.
    let minScore: Float
    let workspace = Workspace()
    let reportWait: @Sendable (Duration) -> Void

    init(models: PrecisionModels<KeypointRCNN>, gate: ComputeGate, visibleScore: Float, afterDetector: Bool, minScore: Float = 0,
         reportWait: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.models = models
        self.gate = gate
        self.visibleScore = visibleScore
        self.afterDetector = afterDetector
        self.minScore = minScore
        self.reportWait = reportWait
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        let settings = batch.indices.map { batch[$0].resolveSettings() }
        var detections = [[Detection]](repeating: [], count: batch.count)
        try gate.run(reportWait: reportWait) {
            try models.forEachGroup(settings.map { $0?.precision }) { model, indices in
                let features = indices.map { i in
                    model.detector.features(RGBInput(width: batch[i].image.width, height: batch[i].image.height,
                                                     pixels: batch[i].image.pixels),
                                            workspace: workspace, minSize: settings[i]?.shortSide, proposals: settings[i]?.proposals)
                }
                let all = model.detector.detect(features)
                // The keypoint head only on the people someone draws or writes; the rest keep no keypoints.
                var kept = all.map { $0.filter { $0.score >= minScore } }
                model.predictKeypoints(features, &kept, workspace: workspace)
                for (k, i) in indices.enumerated() { detections[i] = kept[k] + all[k].filter { $0.score < minScore } }
            }
        }
        for i in batch.indices {
            let people = detections[i].map { d in
                var person = Instance(d, visibleScore: visibleScore)
                person.categoryID = 1
                person.keypoints = person.keypoints ?? []
                return person
            }
            batch[i].instances = KeypointMerge.merge(people, into: batch[i].instances, hadDetector: afterDetector)
        }
    }
}
