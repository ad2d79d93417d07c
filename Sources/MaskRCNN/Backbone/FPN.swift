import Tensor

/// Receives named intermediate tensors (torchvision module names, e.g. "fpn.0") for parity checks; called on the forward thread.
public typealias Tracer = (String, Tensor) -> Void

/// torchvision's FeaturePyramidNetwork over C2…C5 with 256 channels and the LastLevelMaxPool extra level; v1 blocks
/// are convs with bias, v2 blocks conv + BatchNorm2d (folded). Output P2…P5 and "pool" ([N, 256, H/4…H/64, …]),
/// finest first. In a bf16 chain the FPN's convolutions store fp32: their outputs are summed top-down and read by
/// RoIAlign, which bf16's ideal computes in fp32.
struct FPN: Sendable {
    let inner: [Conv2D]
    let layer: [Conv2D]

    init(_ w: WeightSource, normalized: Bool) throws {
        inner = try [256, 512, 1024, 2048].enumerated().map { i, c in
            normalized ? try w.convNorm("backbone.fpn.inner_blocks.\(i)", inC: c, outC: 256, kernel: 1, storesFP32: true)
                       : try w.conv("backbone.fpn.inner_blocks.\(i).0", inC: c, outC: 256, kernel: 1, storesFP32: true)
        }
        layer = try (0..<4).map { i in
            normalized ? try w.convNorm("backbone.fpn.layer_blocks.\(i)", inC: 256, outC: 256, kernel: 3, padding: 1, storesFP32: true)
                       : try w.conv("backbone.fpn.layer_blocks.\(i).0", inC: 256, outC: 256, kernel: 3, padding: 1, storesFP32: true)
        }
    }

    /// P2…P5 and "pool" over C2…C5: the top-down sum is the inner conv's sum post-op onto the upsampled coarser level.
    func callAsFunction(_ c: [FeatureMap], _ ws: Workspace, trace: Tracer?) -> [FeatureMap] {
        var results: [FeatureMap?] = [nil, nil, nil, nil]
        var last = inner[3](c[3], workspace: ws)
        results[3] = layer[3](last, workspace: ws)
        for idx in stride(from: 2, through: 0, by: -1) {
            let lateral = c[idx]
            let topDown = Resample.nearest(last, h: lateral.h, w: lateral.w)
            last = inner[idx](lateral, accumulate: topDown, workspace: ws)
            results[idx] = layer[idx](last, workspace: ws)
        }
        // LastLevelMaxPool: max_pool2d(P5, kernel 1, stride 2).
        let levels = results.map { $0! } + [Resample.maxPool(results[3]!, kernel: 1, stride: 2, padding: 0)]
        if let trace {
            for (i, r) in levels.enumerated() { trace(i < 4 ? "fpn.\(i)" : "fpn.pool", r.tensor()) }
        }
        return levels
    }
}
