import Foundation
import Pipeline

/// Two COCO results files of the same images compared with the figures of mrcnn's accuracy tests (`mrcnn compare`):
/// each reference detection (the first file, e.g. fp32) scoring ≥ `cut`, per image (by `image_id`) in descending
/// score order, is matched greedily to the unused detection of the same category in the other file (e.g. int8) with
/// the best box IoU, and found when that IoU ≥ `minimumIoU`; of the found ones, the median mask IoU (both have a
/// mask), the worst score difference and, for person keypoints, the reference's visible keypoints (v = 2) lying
/// within 1 px of the other's. What tools/reference/compare_results.py prints. A value.
public struct ResultsComparison: Sendable, Equatable {
    /// Reference detections scoring ≥ the cut, and how many of those were found.
    public var wanted = 0, found = 0
    /// The mask IoU of each found detection with a mask in both files, ascending.
    public var maskIoUs: [Double] = []
    public var worstScoreDelta: Float = 0
    /// The reference's visible keypoints of the found detections, and how many lie within 1 px in the other file.
    public var visibleKeypoints = 0, keypointsWithin1px = 0
    /// Images with reference detections ≥ the cut that the other file has no detection of.
    public var imagesMissing = 0

    public init() {}

    /// The median of `maskIoUs` (the upper one of an even count, as the tests and the script take it).
    public var medianMaskIoU: Double? { maskIoUs.isEmpty ? nil : maskIoUs[maskIoUs.count / 2] }

    /// The figures compared in one line: "found 219 of 371 (59.0 %) at box IoU ≥ 0.9; median mask IoU 0.9089; worst
    /// score difference 0.0963", with the keypoints and the images the other file lacks when there are any.
    public func line(minimumIoU: Float = 0.9) -> String {
        var parts = [String(format: "found %d of %d (%.1f %%) at box IoU ≥ %g", found, wanted,
                            100 * Double(found) / Double(max(wanted, 1)), Double(minimumIoU))]
        if let median = medianMaskIoU { parts.append(String(format: "median mask IoU %.4f", median)) }
        parts.append(String(format: "worst score difference %.4f", Double(worstScoreDelta)))
        if visibleKeypoints > 0 {
            parts.append(String(format: "visible keypoints within 1 px %.1f %% (%d of %d)",
                                100 * Double(keypointsWithin1px) / Double(visibleKeypoints), keypointsWithin1px, visibleKeypoints))
        }
        if imagesMissing > 0 { parts.append("\(imagesMissing) image\(imagesMissing == 1 ? "" : "s") with no detection in the second file") }
        return parts.joined(separator: "; ")
    }

    /// The comparison of the results files at `reference` and `other` (`compare`); one-line errors for a cut outside
    /// 0…1, an IoU outside (0, 1], a file that is no COCO results array, or a reference with nothing ≥ the cut.
    public static func files(_ reference: String, _ other: String, cut: Float = 0.5, minimumIoU: Float = 0.9) throws -> ResultsComparison {
        try check(cut: cut, minimumIoU: minimumIoU)
        let c = compare(reference: try COCOResults.load(path: reference), other: try COCOResults.load(path: other), cut: cut,
                        minimumIoU: minimumIoU)
        guard c.wanted > 0 else { throw ResultsError.nothingToCompare(path: reference, cut: cut) }
        return c
    }

    /// One-line errors for a cut outside 0…1 or an IoU outside (0, 1].
    public static func check(cut: Float, minimumIoU: Float) throws {
        guard (0...1).contains(cut) else { throw ResultsError.invalidSetting(name: "cut", value: cut, expected: "within 0…1") }
        guard minimumIoU > 0 && minimumIoU <= 1 else { throw ResultsError.invalidSetting(name: "iou", value: minimumIoU, expected: "within (0, 1]") }
    }

    /// `reference` against `other` (see the type).
    public static func compare(reference: [COCOResult], other: [COCOResult], cut: Float = 0.5,
                               minimumIoU: Float = 0.9) -> ResultsComparison {
        var c = ResultsComparison()
        let others = Dictionary(grouping: other, by: \.imageID)
        for (image, detections) in Dictionary(grouping: reference, by: \.imageID).sorted(by: { $0.key < $1.key }) {
            let candidates = others[image] ?? []
            var used = Set<Int>()
            let wanted = detections.filter { $0.score >= cut }.sorted { $0.score > $1.score }
            if !wanted.isEmpty && candidates.isEmpty { c.imagesMissing += 1 }
            for r in wanted {
                c.wanted += 1
                var best = -1, bestIoU = 0.0
                let reference = box(r.bbox)
                for (i, d) in candidates.enumerated() where !used.contains(i) && d.categoryID == r.categoryID {
                    let iou = reference.iou(box(d.bbox))
                    if iou > bestIoU { (best, bestIoU) = (i, iou) }
                }
                guard best >= 0, bestIoU >= Double(minimumIoU) else { continue }
                used.insert(best)
                c.found += 1
                let d = candidates[best]
                c.worstScoreDelta = max(c.worstScoreDelta, abs(d.score - r.score))
                if let a = r.segmentation, let b = d.segmentation, let iou = maskIoU(a, b) { c.maskIoUs.append(iou) }
                if let a = r.keypoints, let b = d.keypoints, a.count == b.count {
                    for k in stride(from: 0, to: a.count - 2, by: 3) where a[k + 2] == 2 {
                        c.visibleKeypoints += 1
                        let dx = a[k] - b[k], dy = a[k + 1] - b[k + 1]
                        if (dx * dx + dy * dy).squareRoot() <= 1 { c.keypointsWithin1px += 1 }
                    }
                }
            }
        }
        c.maskIoUs.sort()
        return c
    }

    /// The box of a COCO [x, y, w, h].
    static func box(_ b: [Float]) -> Box { Box(x1: b[0], y1: b[1], x2: b[0] + b[2], y2: b[1] + b[3]) }

    /// IoU of two compressed RLE masks of one size (1 when both are empty; nil when they do not decode or differ in
    /// size), computed on the runs (column-major, alternating background and foreground).
    public static func maskIoU(_ a: (size: [Int], counts: String), _ b: (size: [Int], counts: String)) -> Double? {
        guard a.size == b.size, let ra = COCORLE.decompress(a.counts), let rb = COCORLE.decompress(b.counts) else { return nil }
        // Foreground intervals [start, end) of each mask, in pixel order; then the overlap of the two sorted lists.
        func intervals(_ runs: [Int]) -> [(Int, Int)] {
            var out: [(Int, Int)] = [], position = 0
            for (i, n) in runs.enumerated() {
                if i % 2 == 1 && n > 0 { out.append((position, position + n)) }
                position += n
            }
            return out
        }
        let fa = intervals(ra), fb = intervals(rb)
        let areaA = fa.reduce(0) { $0 + $1.1 - $1.0 }, areaB = fb.reduce(0) { $0 + $1.1 - $1.0 }
        var i = 0, j = 0, inter = 0
        while i < fa.count && j < fb.count {
            inter += max(0, min(fa[i].1, fb[j].1) - max(fa[i].0, fb[j].0))
            if fa[i].1 < fb[j].1 { i += 1 } else { j += 1 }
        }
        let union = areaA + areaB - inter
        return union > 0 ? Double(inter) / Double(union) : 1
    }
}
