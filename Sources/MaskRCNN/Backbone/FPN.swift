import Tensor

/// Receives named intermediate tensors (torchvision module names, e.g. "fpn.0") for parity checks; called on the forward thread.
public typealias Tracer = (String, Tensor) -> Void

/// torchvision's FeaturePyramidNetwork over C2…C5 with 256 channels and the LastLevelMaxPool extra level; v1 blocks
/// are convs with bias, v2 blocks conv + BatchNorm2d (folded). Output P2…P5 and "pool" ([N, 256, H/4…H/64, …]),
/// finest first.
struct FPN: Sendable {
    let inner: [Conv2D]
    let layer: [Conv2D]

    init(_ w: WeightSource, normalized: Bool) throws {
        inner = try [256, 512, 1024, 2048].enumerated().map { i, c in
            normalized ? try w.convNorm("backbone.fpn.inner_blocks.\(i)", inC: c, outC: 256, kernel: 1)
                       : try w.conv("backbone.fpn.inner_blocks.\(i).0", inC: c, outC: 256, kernel: 1)
        }
        layer = try (0..<4).map { i in
            normalized ? try w.convNorm("backbone.fpn.layer_blocks.\(i)", inC: 256, outC: 256, kernel: 3, padding: 1)
                       : try w.conv("backbone.fpn.layer_blocks.\(i).0", inC: 256, outC: 256, kernel: 3, padding: 1)
        }
    }

    var runsBlocked: Bool { (inner + layer).allSatisfy(\.runsBlocked) }

    /// The same over C2…C5 in blocked layout: the top-down sum is the inner conv's sum post-op onto the (blocked)
    /// upsampled coarser level; each output level is reordered to NCHW once, for the RPN and RoIAlign.
    func callAsFunction(blocked c: [BlockedTensor], _ ws: Workspace, trace: Tracer?) -> [Tensor] {
        var results = [Tensor](repeating: Tensor(zeros: [0]), count: 4)
        var last = inner[3].blocked(c[3])
        results[3] = layer[3].blocked(last).tensor()
        for idx in stride(from: 2, through: 0, by: -1) {
            let lateral = c[idx]
            let topDown = lateral.h == 2 * last.h && lateral.w == 2 * last.w
                ? Resample.nearest2x(last)
                : BlockedTensor(Resample.nearest(last.tensor(), h: lateral.h, w: lateral.w))
            last = inner[idx].blocked(lateral, accumulate: topDown)
            results[idx] = layer[idx].blocked(last).tensor()
        }
        return finish(results, trace: trace)
    }

    func callAsFunction(_ c: [Tensor], _ ws: Workspace, trace: Tracer?) -> [Tensor] {
        var results = [Tensor](repeating: Tensor(zeros: [0]), count: 4)
        var last = inner[3](c[3], workspace: ws)
        results[3] = layer[3](last, workspace: ws)
        for idx in stride(from: 2, through: 0, by: -1) {
            let lateral = c[idx]
            let topDown = Resample.nearest(last, h: lateral.h, w: lateral.w)
            last = inner[idx](lateral, residual: topDown, workspace: ws)
            results[idx] = layer[idx](last, workspace: ws)
        }
        return finish(results, trace: trace)
    }

    /// Appends the "pool" level and traces every level.
    private func finish(_ levels: [Tensor], trace: Tracer?) -> [Tensor] {
        var results = levels
        // LastLevelMaxPool: max_pool2d(P5, kernel 1, stride 2).
        results.append(Resample.maxPool(results[3], kernel: 1, stride: 2, padding: 0))
        if let trace {
            for (i, r) in results.enumerated() { trace(i < 4 ? "fpn.\(i)" : "fpn.pool", r) }
        }
        return results
    }
}
