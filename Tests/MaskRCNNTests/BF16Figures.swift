import Foundation
import MaskRCNN
import Tensor
import Testing

/// The figures of a bf16 model against torchvision's fp32 reference fixtures, measured as
/// tools/reference/bf16_emulation.py measures the ideal bf16 (same matching, same figures): reference detections
/// scoring ≥ the pool's cut, matched greedily in reference order to the unused detection of the same class with the
/// best box IoU, found when it is ≥ 0.9; then the median mask IoU of the matched, the worst score difference, the
/// worst relative L2 error of the sampled FPN values and, for Keypoint R-CNN, the visible keypoints (reference score
/// > 2) within 1 px of the reference's.
struct BF16Figures {
    var wanted = 0, found = 0
    var maskIoUs: [Double] = []
    /// Per matched person: for each visible keypoint, whether it lies within 1 px of the reference's.
    var keypointHits: [[Bool]] = []
    var worstScore: Float = 0
    var worstFPN = 0.0

    var foundShare: Double { Double(found) / Double(max(wanted, 1)) }
    var medianMaskIoU: Double? { maskIoUs.isEmpty ? nil : maskIoUs.sorted()[maskIoUs.count / 2] }
    var keypointsWithin1px: Double? {
        let all = keypointHits.flatMap { $0 }
        return all.isEmpty ? nil : Double(all.filter { $0 }.count) / Double(all.count)
    }
    var peopleWithin1px: Double? {
        keypointHits.isEmpty ? nil : Double(keypointHits.filter { $0.allSatisfy { $0 } }.count) / Double(keypointHits.count)
    }

    mutating func add(_ other: BF16Figures) {
        wanted += other.wanted
        found += other.found
        maskIoUs += other.maskIoUs
        keypointHits += other.keypointHits
        worstScore = max(worstScore, other.worstScore)
        worstFPN = max(worstFPN, other.worstFPN)
    }

    var line: String {
        var parts = [String(format: "found %d of %d (%.1f%%)", found, wanted, 100 * foundShare)]
        if let m = medianMaskIoU { parts.append(String(format: "median mask IoU %.4f", m)) }
        if let k = keypointsWithin1px, let p = peopleWithin1px {
            parts.append(String(format: "visible keypoints within 1 px %.1f%% (people %.1f%%)", 100 * k, 100 * p))
        }
        parts.append(String(format: "worst score Δ %.4f; worst FPN rel-L2 %.2e", worstScore, worstFPN))
        return parts.joined(separator: "; ")
    }

    /// One image: `detections` (what the model returned) and `fpn` (the traced FPN levels) against fixture `ref`.
    init(detections: [Detection], fpn: [String: Tensor], ref: [String: Any], cut: Float) {
        let layers = ref["layers"] as! [String: Any]
        for level in ["fpn.0", "fpn.1", "fpn.2", "fpn.3", "fpn.pool"] {
            let layer = layers[level] as! [String: Any]
            guard let t = fpn[level] else { Issue.record("\(level) not traced"); continue }
            var num = 0.0, den = 0.0
            for (i, v) in zip(Fixture.ints(layer["index"]), Fixture.floats(layer["value"])) {
                num += Double(t.data[i] - v) * Double(t.data[i] - v)
                den += Double(v) * Double(v)
            }
            worstFPN = max(worstFPN, (num / max(den, 1e-30)).squareRoot())
        }
        var used = Set<Int>()
        for r in ref["detections"] as! [[String: Any]] {
            let score = (r["score"] as! NSNumber).floatValue
            guard score >= cut else { continue }
            wanted += 1
            let label = (r["label"] as! NSNumber).intValue, b = Fixture.floats(r["box"])
            var best = -1, bestIoU = 0.0
            for (i, d) in detections.enumerated() where d.label == label && !used.contains(i) {
                let iou = Self.boxIoU([d.box.x1, d.box.y1, d.box.x2, d.box.y2], b)
                if iou > bestIoU { bestIoU = iou; best = i }
            }
            guard best >= 0, bestIoU >= 0.9 else { continue }
            used.insert(best)
            found += 1
            if let rle = r["mask"] as? [String: Any], let mask = detections[best].mask { maskIoUs.append(MaskIoU.iou(mask, rle: rle)) }
            if let points = r["keypoints"] as? [[NSNumber]], let ours = detections[best].keypoints {
                let scores = Fixture.floats(r["keypoint_scores"])
                keypointHits.append(points.indices.filter { scores[$0] > 2 }.map { k in
                    let dx = ours[k].x - points[k][0].floatValue, dy = ours[k].y - points[k][1].floatValue
                    return (dx * dx + dy * dy).squareRoot() <= 1
                })
            }
            worstScore = max(worstScore, abs(detections[best].score - score))
        }
    }

    init() {}

    static func boxIoU(_ a: [Float], _ b: [Float]) -> Double {
        let ix = max(0, min(a[2], b[2]) - max(a[0], b[0])), iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let inter = Double(ix * iy)
        let union = Double((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
        return union > 0 ? inter / union : 0
    }
}

/// The ideal bf16's figures of one model (Fixtures/bf16_ideal.json, written by tools/reference/bf16_emulation.py):
/// its fixture pool and cut, and per draw the pooled and per-image figures. The draws are the same ideal computed
/// with fp32 values perturbed by ±2⁻²⁰ before each rounding — what another summation order does — and show how far
/// the figures of an exact bf16 computation move by chance (the pooled median mask IoU sits where the IoU
/// distribution falls steeply, so a few detections move it by ~0.005).
struct BF16Ideal {
    let cut: Float
    let fixtures: [String]
    let pooled: [[String: Double]]
    let images: [[String: [String: Double]]]

    /// `file`: the fixture of the ideal (bf16_ideal, or int8_ideal: the ideal int8 of tools/reference/int8_emulation.py).
    init(model: String, file: String = "bf16_ideal") throws {
        let all = try Fixture.json(file) as! [String: Any]
        let m = all[model] as! [String: Any]
        cut = (m["cut"] as! NSNumber).floatValue
        fixtures = m["fixtures"] as! [String]
        func numbers(_ v: Any?) -> [String: Double] { (v as! [String: NSNumber]).mapValues(\.doubleValue) }
        let draws = m["draws"] as! [[String: Any]]
        pooled = draws.map { numbers($0["pooled"]) }
        images = draws.map { ($0["images"] as! [String: Any]).mapValues(numbers) }
    }

    /// The lowest / highest value of a pooled figure over the draws, nil when absent.
    func lowest(_ figure: String) -> Double? { pooled.compactMap { $0[figure] }.min() }
    func highest(_ figure: String) -> Double? { pooled.compactMap { $0[figure] }.max() }
    /// The lowest share of reference detections found over the draws.
    var lowestFoundShare: Double { pooled.map { $0["found"]! / max($0["wanted"]!, 1) }.min()! }
    /// The lowest median mask IoU of one image over the draws.
    func lowestMedian(of stem: String) -> Double? { images.compactMap { $0[stem]?["median_mask_iou"] }.min() }
    var draws: Int { pooled.count }
}
