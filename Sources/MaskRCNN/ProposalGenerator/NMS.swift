/// Non-maximum suppression exactly as torchvision's CPU kernels: pure functions over boxes and scores.
public enum NMS {
    /// torchvision.ops.nms: indices of kept boxes, by decreasing score; a box is dropped when its IoU with a kept,
    /// higher-scoring box is > `threshold`.
    public static func nms(_ boxes: [BoxF], _ scores: [Float], threshold: Float) -> [Int] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let areas = boxes.map { $0.area }
        var suppressed = [Bool](repeating: false, count: boxes.count)
        var keep: [Int] = []
        for (oi, i) in order.enumerated() where !suppressed[i] {
            keep.append(i)
            let bi = boxes[i], ai = areas[i]
            for j in order[(oi + 1)...] where !suppressed[j] {
                let bj = boxes[j]
                let w = max(0, min(bi.x2, bj.x2) - max(bi.x1, bj.x1))
                let h = max(0, min(bi.y2, bj.y2) - max(bi.y1, bj.y1))
                let inter = w * h
                if inter / (ai + areas[j] - inter) > threshold { suppressed[j] = true }
            }
        }
        return keep
    }

    /// torchvision.ops.batched_nms: NMS within each group id. Like torchvision, small inputs (≤ 4000 coordinates on
    /// CPU) use the coordinate-offset trick and larger ones run per group then sort by score.
    public static func batched(_ boxes: [BoxF], _ scores: [Float], groups: [Int], threshold: Float) -> [Int] {
        if boxes.isEmpty { return [] }
        if boxes.count * 4 > 4000 {
            var keep: [Int] = []
            for g in Set(groups).sorted() {
                let idx = groups.indices.filter { groups[$0] == g }
                let k = nms(idx.map { boxes[$0] }, idx.map { scores[$0] }, threshold: threshold)
                keep.append(contentsOf: k.map { idx[$0] })
            }
            keep.sort()
            return keep.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        }
        var maxCoord = -Float.infinity
        for b in boxes { maxCoord = max(maxCoord, b.x1, b.y1, b.x2, b.y2) }
        let shifted = zip(boxes, groups).map { b, g -> BoxF in
            let off = Float(g) * (maxCoord + 1)
            return BoxF(b.x1 + off, b.y1 + off, b.x2 + off, b.y2 + off)
        }
        return nms(shifted, scores, threshold: threshold)
    }
}
