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
            normalized ? try w.convNorm("roi_heads.mask_head.\(i)", inC: 256, outC: 256, kernel: 3, padding: 1)
                       : try w.conv("roi_heads.mask_head.\(i).0", inC: 256, outC: 256, kernel: 3, padding: 1)
        }
        deconv = ConvTranspose2D(weight: try w.tensor("roi_heads.mask_predictor.conv5_mask.weight", [256, 256, 2, 2]),
                                 bias: try w.tensor("roi_heads.mask_predictor.conv5_mask.bias", [256]),
                                 inChannels: 256, outChannels: 256, kernel: 2, stride: 2, engine: w.engine)
        logits = try w.conv("roi_heads.mask_predictor.mask_fcn_logits", inC: 256, outC: numClasses, kernel: 1)
    }

    /// Whether the whole head runs as one blocked oneDNN chain per chunk of RoIs.
    var runsBlocked: Bool { convs.allSatisfy(\.runsBlocked) && deconv.runsBlocked && logits.runsBlocked }
    /// RoIs per blocked chain run (power-of-two chunks of at most this many, so few primitives serve any count).
    static let chunk = 32

    func callAsFunction(_ pooled: Tensor, _ ws: Workspace) -> Tensor {
        if runsBlocked { return blocked(pooled) }
        var x = pooled
        for c in convs { x = c(x, relu: true, workspace: ws) }
        x = deconv(x, relu: true, workspace: ws)
        return logits(x, workspace: ws)
    }

    /// The chain in oneDNN's blocked layout, chunk by chunk: the 4 convs, the deconv as sub-pixel images (a 1×1
    /// conv to 4·256 channels), the 1×1 logits on each sub-pixel image, then one pixel shuffle into NCHW.
    private func blocked(_ pooled: Tensor) -> Tensor {
        let n = pooled.n, k = deconv.kernel
        let (oh, ow) = (pooled.h * k, pooled.w * k)
        if n == 0 { return Tensor(zeros: [0, logits.outChannels, oh, ow]) }
        var parts: [Tensor] = []
        var start = 0
        while start < n {
            var c = MaskHead.chunk
            while c > n - start { c /= 2 }
            var x = BlockedTensor(c == n ? pooled : pooled.slice(start, start + c))
            for conv in convs { x = conv.blocked(x, relu: true) }
            let y = logits.blocked(deconv.blockedSubpixels(x, relu: true))
            parts.append(y.tensor(interleavingSubpixels: k))
            start += c
        }
        return parts.count == 1 ? parts[0] : Tensor.concat(parts)
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
