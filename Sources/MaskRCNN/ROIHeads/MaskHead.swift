import Foundation
import Tensor

/// torchvision's MaskRCNNHeads + MaskRCNNPredictor: pooled RoIs [N, 256, 14, 14] → 4 × (3×3 conv 256 [+ BN in v2] + ReLU) →
/// 2×2 stride-2 transposed conv + ReLU → 1×1 conv → mask logits of each RoI's own class [N, 1, 28, 28] (`MaskLogits`;
/// torchvision computes all 91 and keeps the same one).
struct MaskHead: Sendable {
    let convs: [Conv2D]
    let deconv: ConvTranspose2D
    let logits: MaskLogits

    init(_ w: WeightSource, numClasses: Int, normalized: Bool = false) throws {
        convs = try (0..<4).map { i in
            normalized ? try w.convNorm("roi_heads.mask_head.\(i)", inC: 256, outC: 256, kernel: 3, padding: 1, rois: true)
                       : try w.conv("roi_heads.mask_head.\(i).0", inC: 256, outC: 256, kernel: 3, padding: 1, rois: true)
        }
        deconv = ConvTranspose2D(weight: try w.tensor("roi_heads.mask_predictor.conv5_mask.weight", [256, 256, 2, 2]),
                                 bias: try w.tensor("roi_heads.mask_predictor.conv5_mask.bias", [256]),
                                 inChannels: 256, outChannels: 256, kernel: 2, stride: 2, engine: w.engine,
                                 name: "roi_heads.mask_predictor.conv5_mask")
        logits = try MaskLogits(w, numClasses: numClasses)
    }

    /// RoIs per chain run (power-of-two chunks of at most this many, so few primitives serve any count).
    static let chunk = 32

    /// Chunk by chunk: the 4 convs, the 2×2/2 deconvolution in its kernel's form (a 1×1 conv to 4·256 channels: the
    /// sub-pixel images as channel groups), then the logits of each RoI's class `labels[i]` on those, pixel-shuffled:
    /// [N, 1, 28, 28]. `allClasses`: every class's, [N, 91, 28, 28] (torchvision's `mask_logits`, for traces).
    func callAsFunction(_ pooled: Tensor, labels: [Int], allClasses: Bool = false, _ ws: Workspace) -> Tensor {
        precondition(labels.count == pooled.n, "\(labels.count) labels for \(pooled.n) RoIs")
        let k = deconv.subpixelFactor, size = pooled.h * deconv.stride
        return RoIChunks.map(pooled, limit: MaskHead.chunk, empty: Tensor(zeros: [0, allClasses ? logits.classes : 1, size, size])) { chunk, rows in
            let x = convs.chain(FeatureMap(chunk), feeding: deconv.inputConvolution, workspace: ws)
            let groups = deconv.subpixelGroups(x, relu: true, workspace: ws)
            return allClasses ? logits.all(groups, factor: k) : logits(groups, factor: k, labels: Array(labels[rows]))
        }
    }
}

/// Probability masks: the sigmoid of each detection's own class logits [N, 1, 28, 28] (the paper's class
/// decoupling), [N][28·28].
public enum MaskProbabilities {
    public static func sigmoid(_ logits: Tensor) -> [[Float]] {
        precondition(logits.c == 1, "one logit map per detection, got \(logits.shape)")
        let m = logits.h * logits.w
        return (0..<logits.n).map { i in (0..<m).map { 1 / (1 + expf(-logits.data[i * m + $0])) } }
    }
}
