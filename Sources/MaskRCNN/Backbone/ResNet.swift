import Tensor

/// torchvision's ResNet-50 body (v1.5: stride on the 3×3 conv) with its batch norm folded into the convolutions
/// (FrozenBatchNorm2d eps 0 in v1 checkpoints, BatchNorm2d eps 1e-5 in v2).
/// In a bf16 chain a block's output (conv3 with the shortcut summed in) and the projection shortcut store fp32: the
/// sum is fp32 in bf16's ideal. Input [N, 3, H, W] normalised image; outputs C2…C5 = layer1…layer4 ([N, 256·2^i, H/2^(i+2), W/2^(i+2)]).
struct ResNet50: Sendable {
    /// One bottleneck block: 1×1 → 3×3 (stride) → 1×1, plus identity or projected shortcut, ReLU after the sum.
    struct Bottleneck: Sendable {
        let conv1: Conv2D
        let conv2: Conv2D
        let conv3: Conv2D
        /// Projection shortcut (1×1, run at stride 1 on the subsampled input) and its stride.
        let downsample: Conv2D?
        let downStride: Int

        /// The block on a feature map: the shortcut conv runs strided, the residual sum and ReLU are post-ops of conv3
        /// (which writes into the shortcut's buffer; `x` itself when there is no projection).
        func callAsFunction(_ x: FeatureMap, _ ws: Workspace) -> FeatureMap {
            let identity = downsample.map { $0(x, stride: downStride, summedBy: conv3, workspace: ws) } ?? x
            let a = conv1(x, relu: true, feeding: conv2, workspace: ws)
            let b = conv2(a, relu: true, feeding: conv3, workspace: ws)
            return conv3(b, relu: true, accumulate: identity, workspace: ws)
        }

        var convs: [Conv2D] { [conv1, conv2, conv3] + (downsample.map { [$0] } ?? []) }
    }

    let stem: Conv2D
    let layers: [[Bottleneck]]

    init(_ w: WeightSource, eps: Float) throws {
        let body = "backbone.body"
        stem = try w.convBN("\(body).conv1", "\(body).bn1", inC: 3, outC: 64, kernel: 7, stride: 2, padding: 3, eps: eps)
        var inC = 64
        var layers: [[Bottleneck]] = []
        for (li, (blocks, width)) in MaskRCNNLayout.stages.enumerated() {
            var blockList: [Bottleneck] = []
            for b in 0..<blocks {
                let n = "\(body).layer\(li + 1).\(b)"
                let stride = (b == 0 && li > 0) ? 2 : 1
                let c1 = try w.convBN("\(n).conv1", "\(n).bn1", inC: inC, outC: width, kernel: 1, stride: 1, padding: 0, eps: eps)
                let c2 = try w.convBN("\(n).conv2", "\(n).bn2", inC: width, outC: width, kernel: 3, stride: stride, padding: 1, eps: eps)
                let c3 = try w.convBN("\(n).conv3", "\(n).bn3", inC: width, outC: width * 4, kernel: 1, stride: 1, padding: 0, eps: eps,
                                      storesFP32: true)
                let down = b == 0
                    ? try w.convBN("\(n).downsample.0", "\(n).downsample.1", inC: inC, outC: width * 4, kernel: 1, stride: 1, padding: 0, eps: eps,
                                storesFP32: true)
                    : nil
                blockList.append(Bottleneck(conv1: c1, conv2: c2, conv3: c3, downsample: down, downStride: stride))
                inC = width * 4
            }
            layers.append(blockList)
        }
        self.layers = layers
    }

    /// C2…C5 for a normalised, padded image batch, in the layouts and type the kernels wrote (traced as NCHW).
    func callAsFunction(_ x: Tensor, _ ws: Workspace, trace: Tracer?) -> [FeatureMap] {
        // An int8 stem stores its output as layer1's first block reads it (max pooling keeps the step).
        var h = stem(FeatureMap(x), relu: true, feeding: layers[0][0].conv1, workspace: ws)
        h = Resample.maxPool(h, kernel: 3, stride: 2, padding: 1)
        var outs: [FeatureMap] = []
        for (i, blocks) in layers.enumerated() {
            for block in blocks { h = block(h, ws) }
            if let trace { trace("body.\(i)", h.tensor()) }
            outs.append(h)
        }
        return outs
    }
}
