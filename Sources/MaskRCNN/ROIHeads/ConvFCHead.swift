import Tensor

/// torchvision's FastRCNNConvFCHead as the v2 models build it: pooled RoIs [R, 256, 7, 7] → 4 × (3×3 conv 256 +
/// BatchNorm2d (folded) + ReLU) → flatten → FC 12544→1024 + ReLU → [R, 1024]. The convolutions run on every
/// proposal (1000 per frame), so this is where the v2 box branch spends its time (`mrcnn bench` shows it).
struct ConvFCHead: Sendable {
    let convs: [Conv2D]
    let fc: Linear

    /// Module indices in `roi_heads.box_head`: 0…3 the conv blocks, 4 the Flatten, 5 the Linear, 6 its ReLU.
    init(_ w: WeightSource) throws {
        convs = try (0..<4).map { i in try w.convNorm("roi_heads.box_head.\(i)", inC: 256, outC: 256, kernel: 3, padding: 1, rois: true) }
        fc = try w.linear("roi_heads.box_head.5", inF: 256 * 7 * 7, outF: 1024)
    }

    /// RoIs per convolution chain run.
    static let chunk = 32

    func callAsFunction(_ pooled: Tensor, _ ws: Workspace) -> Tensor {
        let features = RoIChunks.map(pooled, limit: ConvFCHead.chunk, empty: Tensor(zeros: [0, 256, 7, 7])) { chunk in
            let x = convs.chain(FeatureMap(chunk), workspace: ws)
            return x.tensor()
        }
        return fc(features.reshaped([features.shape[0], 256 * 7 * 7]), relu: true)
    }
}
