import Foundation
import Tensor

/// torchvision's RegionProposalNetwork at inference: shared 3×3 conv + ReLU (two of them in v2), 1×1 objectness (3 anchors) and
/// box deltas (12) per FPN level — run as one 1×1 convolution to 15 channels written in fp32 (decisions); per-level
/// top-n by logit, sigmoid, clip, small-box removal, per-level NMS 0.7, top post-NMS-n overall. Proposals are in
/// resized-image coordinates, by decreasing objectness.
struct RPN: Sendable {
    let convs: [Conv2D]
    /// `rpn.head.cls_logits` (channels 0…2) and `rpn.head.bbox_pred` (3…14) as one layer.
    let head: Conv2D
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
        let weights = try w.tensor("rpn.head.cls_logits.weight", [3, 256, 1, 1]) + w.tensor("rpn.head.bbox_pred.weight", [12, 256, 1, 1])
        let bias = try w.tensor("rpn.head.cls_logits.bias", [3]) + w.tensor("rpn.head.bbox_pred.bias", [12])
        head = Conv2D(weight: weights, bias: bias, outChannels: 15, inChannels: 256, kernel: 1, decision: true, engine: w.engine)
    }

    /// Proposals (boxes and objectness probabilities) for one image's pyramid.
    func callAsFunction(_ features: [FeatureMap], image: TransformedImage, _ ws: Workspace, trace: Tracer?) -> (boxes: [BoxF], scores: [Float]) {
        let ph = image.tensor.h, pw = image.tensor.w
        var boxes: [BoxF] = [], logits: [Float] = [], levels: [Int] = []
        for (l, f) in features.enumerated() {
            let t = convs.chain(f, workspace: ws)
            let out = head(t, workspace: ws).tensor()
            let gh = f.h, gw = f.w, hw = gh * gw, a = 3
            let obj = Tensor(shape: [1, 3, gh, gw], data: Array(out.data[0..<(3 * hw)]))
            let deltas = Tensor(shape: [1, 12, gh, gw], data: Array(out.data[(3 * hw)...]))
            trace?("rpn.objectness.\(l)", obj)
            trace?("rpn.pred_bbox_deltas.\(l)", deltas)
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
