import Foundation
import Tensor

/// torchvision's RegionProposalNetwork at inference: shared 3×3 conv + ReLU (two of them in v2), 1×1 objectness (3 anchors) and
/// box deltas (12) per FPN level; per-level top-n by logit, sigmoid, clip, small-box removal, per-level NMS 0.7,
/// top post-NMS-n overall. Proposals are in resized-image coordinates, by decreasing objectness.
struct RPN: Sendable {
    let convs: [Conv2D]
    let cls: Conv2D
    let bbox: Conv2D
    let anchors = AnchorGenerator()
    let coder = BoxCoder(weights: (1, 1, 1, 1))
    var preNMSTopN = 1000
    var postNMSTopN = 1000
    var nmsThreshold: Float = 0.7
    var minSize: Float = 1e-3
    var scoreThreshold: Float = 0

    /// `depth` 3×3 convs before the predictors: 1 in v1, 2 in v2 (`RPNHead(conv_depth=2)`).
    init(_ w: WeightSource, depth: Int = 1) throws {
        convs = try (0..<depth).map { i in try w.conv("rpn.head.conv.\(i).0", inC: 256, outC: 256, kernel: 3, padding: 1) }
        cls = try w.conv("rpn.head.cls_logits", inC: 256, outC: 3, kernel: 1)
        bbox = try w.conv("rpn.head.bbox_pred", inC: 256, outC: 12, kernel: 1)
    }

    /// Proposals (boxes and objectness probabilities) for one image's pyramid.
    func callAsFunction(_ features: [Tensor], image: TransformedImage, _ ws: Workspace, trace: Tracer?) -> (boxes: [BoxF], scores: [Float]) {
        let ph = image.tensor.h, pw = image.tensor.w
        var boxes: [BoxF] = [], logits: [Float] = [], levels: [Int] = []
        for (l, f) in features.enumerated() {
            let t = convs.reduce(f) { x, conv in conv(x, relu: true, workspace: ws) }
            let obj = cls(t, workspace: ws)
            let deltas = bbox(t, workspace: ws)
            trace?("rpn.objectness.\(l)", obj)
            trace?("rpn.pred_bbox_deltas.\(l)", deltas)
            let gh = f.h, gw = f.w, hw = gh * gw, a = 3
            let levelAnchors = anchors.anchors(level: l, gridH: gh, gridW: gw, imageH: ph, imageW: pw)
            // Flattened order (y, x, anchor): element i = (pos = i / 3, anchor = i % 3).
            let n = hw * a
            let scoresFlat = (0..<n).map { i in obj.data[(i % a) * hw + i / a] }
            let k = min(preNMSTopN, n)
            let top = TopK.indices(scoresFlat, k)
            for i in top {
                let pos = i / a, an = i % a
                let d = (deltas.data[(an * 4 + 0) * hw + pos], deltas.data[(an * 4 + 1) * hw + pos],
                         deltas.data[(an * 4 + 2) * hw + pos], deltas.data[(an * 4 + 3) * hw + pos])
                boxes.append(coder.decode(d, reference: levelAnchors[i]))
                logits.append(scoresFlat[i])
                levels.append(l)
            }
        }
        let (rh, rw) = image.resizedSize
        var keptBoxes: [BoxF] = [], keptScores: [Float] = [], keptLevels: [Int] = []
        for i in boxes.indices {
            let b = boxes[i].clipped(h: rh, w: rw)
            let s = 1 / (1 + expf(-logits[i]))
            guard b.isAtLeast(minSize), s >= scoreThreshold else { continue }
            keptBoxes.append(b); keptScores.append(s); keptLevels.append(levels[i])
        }
        let keep = NMS.batched(keptBoxes, keptScores, groups: keptLevels, threshold: nmsThreshold).prefix(postNMSTopN)
        return (keep.map { keptBoxes[$0] }, keep.map { keptScores[$0] })
    }
}

/// Top-k selection: indices of the k largest values, largest first (ties by lower index).
enum TopK {
    static func indices(_ v: [Float], _ k: Int) -> [Int] {
        if k >= v.count { return v.indices.sorted { v[$0] > v[$1] || (v[$0] == v[$1] && $0 < $1) } }
        // Partial selection: find the k-th largest by sorting a copy, then collect and sort the winners.
        let threshold = v.sorted(by: >)[k - 1]
        var winners = v.indices.filter { v[$0] > threshold }
        for i in v.indices where v[i] == threshold && winners.count < k { winners.append(i) }
        return winners.sorted { v[$0] > v[$1] || (v[$0] == v[$1] && $0 < $1) }
    }
}
