import Foundation
import Tensor

/// The box branch: torchvision's TwoMLPHead (v1: fc6 → ReLU → fc7 → ReLU) or FastRCNNConvFCHead (v2, `ConvFCHead`)
/// on pooled RoIs [R, 256, 7, 7], then FastRCNNPredictor → class logits [R, 91] and per-class box deltas [R, 364].
struct BoxHead: Sendable {
    /// The RoI feature extractor before the predictor.
    enum Features: Sendable {
        case twoMLP(fc6: Linear, fc7: Linear)
        case convFC(ConvFCHead)
    }
    let features: Features
    let clsScore: Linear
    let bboxPred: Linear
    let numClasses: Int

    init(_ w: WeightSource, numClasses: Int, convFC: Bool = false) throws {
        self.numClasses = numClasses
        features = convFC
            ? .convFC(try ConvFCHead(w))
            : .twoMLP(fc6: try w.linear("roi_heads.box_head.fc6", inF: 256 * 7 * 7, outF: 1024),
                      fc7: try w.linear("roi_heads.box_head.fc7", inF: 1024, outF: 1024))
        clsScore = try w.linear("roi_heads.box_predictor.cls_score", inF: 1024, outF: numClasses, decision: true)
        bboxPred = try w.linear("roi_heads.box_predictor.bbox_pred", inF: 1024, outF: numClasses * 4, decision: true)
    }

    func callAsFunction(_ pooled: Tensor, _ ws: Workspace) -> (logits: Tensor, deltas: Tensor) {
        let h: Tensor
        switch features {
        case let .twoMLP(fc6, fc7):
            h = fc7(fc6(pooled.reshaped([pooled.n, pooled.count / max(pooled.n, 1)]), relu: true), relu: true)
        case let .convFC(head):
            h = head(pooled, ws)
        }
        return (clsScore(h), bboxPred(h))
    }
}

/// One detection before mask prediction: box in resized-image coordinates, score, COCO label.
public struct RawDetection: Sendable, Equatable {
    public var box: BoxF
    public var score: Float
    public var label: Int
}

/// torchvision's RoIHeads.postprocess_detections as a pure function: softmax, per-class decode (weights 10, 10, 5, 5),
/// clip, drop background, score > threshold, drop boxes under 0.01 px, class-wise NMS, keep the best `maxDetections`.
public enum BoxPostprocess {
    public static func detections(logits: Tensor, deltas: Tensor, proposals: [BoxF], imageH: Int, imageW: Int,
                                  scoreThreshold: Float = 0.05, nmsThreshold: Float = 0.5,
                                  maxDetections: Int = 100) -> [RawDetection] {
        let coder = BoxCoder(weights: (10, 10, 5, 5))
        let k = logits.shape[1]
        var boxes: [BoxF] = [], scores: [Float] = [], labels: [Int] = []
        for r in proposals.indices {
            let row = Array(logits.data[(r * k)..<((r + 1) * k)])
            let probs = softmax(row)
            for c in 1..<k {
                let s = probs[c]
                guard s > scoreThreshold else { continue }
                let d = deltas.data
                let o = r * k * 4 + c * 4
                let b = coder.decode((d[o], d[o + 1], d[o + 2], d[o + 3]), reference: proposals[r]).clipped(h: imageH, w: imageW)
                guard b.isAtLeast(1e-2) else { continue }
                boxes.append(b); scores.append(s); labels.append(c)
            }
        }
        let keep = NMS.batched(boxes, scores, groups: labels, threshold: nmsThreshold).prefix(maxDetections)
        return keep.map { RawDetection(box: boxes[$0], score: scores[$0], label: labels[$0]) }
    }

    /// Numerically stable softmax in float32.
    public static func softmax(_ x: [Float]) -> [Float] {
        let m = x.max() ?? 0
        let e = x.map { expf($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
