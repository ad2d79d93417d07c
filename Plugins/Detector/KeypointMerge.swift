import Foundation
import MaskRCNN
import Pipeline
import Tensor

/// How keypoint detections join the instances already on a frame (a pure function).
public enum KeypointMerge {
    /// Without an earlier detector the keypoint model's people are the instances; otherwise each existing person
    /// (category 1) takes the keypoints of the unused keypoint detection with the highest box IoU, if ≥ `minIoU`.
    public static func merge(_ people: [Instance], into existing: [Instance], hadDetector: Bool, minIoU: Float = 0.5) -> [Instance] {
        guard hadDetector else { return people }
        var out = existing
        var used = Set<Int>()
        for i in out.indices where out[i].categoryID == 1 {
            var best = -1, bestIoU = minIoU
            for (j, p) in people.enumerated() where !used.contains(j) {
                let v = Float(out[i].box.iou(p.box))
                if v >= bestIoU { best = j; bestIoU = v }
            }
            if best >= 0 {
                out[i].keypoints = people[best].keypoints
                used.insert(best)
            }
        }
        return out
    }
}
