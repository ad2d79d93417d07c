import Foundation
import MaskRCNN
import Testing

/// The final-detection check every Mask/Faster R-CNN parity test applies to a torchvision fixture: same count and
/// labels in order, boxes within 0.5 px, scores within 1e-3, and (where the fixture has masks) mask IoU ≥ 0.99.
enum DetectionComparison {
    static func check(_ detections: [Detection], _ ref: [String: Any], label: String) {
        let refDets = ref["detections"] as! [[String: Any]]
        #expect(detections.count == refDets.count, "\(label): \(detections.count) detections, torchvision \(refDets.count)")
        for (d, r) in zip(detections, refDets) {
            let box = Fixture.floats(r["box"])
            #expect(d.label == (r["label"] as! NSNumber).intValue)
            #expect(abs(d.score - (r["score"] as! NSNumber).floatValue) < 1e-3)
            let err = zip([d.box.x1, d.box.y1, d.box.x2, d.box.y2], box).map { abs($0 - $1) }.max() ?? 0
            #expect(err < 0.5, "\(label): box off by \(err) px")
            if let rle = r["mask"] as? [String: Any] {
                guard let mask = d.mask else { Issue.record("\(label): no mask"); continue }
                let iou = MaskIoU.iou(mask, rle: rle)
                #expect(iou >= 0.99, "\(label): mask IoU \(iou)")
            } else {
                #expect(d.mask == nil, "\(label): a mask from a model without a mask branch")
            }
        }
    }
}
