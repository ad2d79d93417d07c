import Foundation
import Tensor

/// torchvision's MaskRCNNHeads + MaskRCNNPredictor: pooled RoIs [N, 256, 14, 14] → 4 × (3×3 conv 256 [+ BN in v2] + ReLU) →
/// 2×2 stride-2 transposed conv + ReLU → 1×1 conv → mask logits [N, 91, 28, 28].
struct MaskHead: Sendable {
    let convs: [Conv2D]
    let deconv: ConvTranspose2D
    let logits: Conv2D

    init(_ w: WeightSource, numClasses: Int, normalized: Bool = false) throws {
        convs = try (0..<4).map { i in
            normalized ? try w.convNorm("roi_heads.mask_head.\(i)", inC: 256, outC: 256, kernel: 3, padding: 1, rois: true)
                       : try w.conv("roi_heads.mask_head.\(i).0", inC: 256, outC: 256, kernel: 3, padding: 1, rois: true)
        }
        deconv = ConvTranspose2D(weight: try w.tensor("roi_heads.mask_predictor.conv5_mask.weight", [256, 256, 2, 2]),
                                 bias: try w.tensor("roi_heads.mask_predictor.conv5_mask.bias", [256]),
                                 inChannels: 256, outChannels: 256, kernel: 2, stride: 2, engine: w.engine,
                                 name: "roi_heads.mask_predictor.conv5_mask")
        logits = try w.conv("roi_heads.mask_predictor.mask_fcn_logits", inC: 256, outC: numClasses, kernel: 1, rois: true,
                            decision: true)
    }

    /// RoIs per chain run (power-of-two chunks of at most this many, so few primitives serve any count).
    static let chunk = 32

    /// Chunk by chunk: the 4 convs, the 2×2/2 deconvolution in its kernel's form (sub-pixel images: a 1×1 conv to 4·256
    /// channels), the 1×1 logits (fp32) on that, then one pixel shuffle into NCHW [N, classes, 28, 28].
    func callAsFunction(_ pooled: Tensor, _ ws: Workspace) -> Tensor {
        let k = deconv.kernel
        let empty = Tensor(zeros: [0, logits.outChannels, pooled.h * k, pooled.w * k])
        return RoIChunks.map(pooled, limit: MaskHead.chunk, empty: empty) { chunk in
            let x = convs.chain(FeatureMap(chunk), feeding: deconv.inputConvolution, workspace: ws)
            return deconv.assembled(logits(deconv.features(x, relu: true, workspace: ws), workspace: ws))
        }
    }
}

/// Probability masks: the sigmoid of each detection's own class channel (the paper's class decoupling), [N][28·28].
public enum MaskProbabilities {
    public static func select(logits: Tensor, labels: [Int]) -> [[Float]] {
        let k = logits.c, m = logits.h * logits.w
        return labels.enumerated().map { i, label in
            let base = (i * k + label) * m
            return (0..<m).map { 1 / (1 + expf(-logits.data[base + $0])) }
        }
    }
}
