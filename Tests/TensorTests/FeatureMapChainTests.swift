import Testing
import Tensor

/// oneDNN layers chained on `FeatureMap`s in the kernels' own layouts against PyTorch's outputs (the op fixtures) and
/// against the OpenBLAS reference path on a bottleneck-shaped chain with channels that fill whole blocks.
@Suite struct FeatureMapChainTests {
    let ws = Workspace()
    let engine = ComputeEngine(backend: .onednn)

    @Test func convolutionMatchesTorch() {
        for c in OpFixtures.cases("conv") {
            let x = OpFixtures.tensor(c, "x")!, w = OpFixtures.tensor(c, "weight")!, y = OpFixtures.tensor(c, "y")!
            let conv = Conv2D(weight: w.data, bias: OpFixtures.tensor(c, "bias")!.data, outChannels: w.shape[0],
                              inChannels: w.shape[1], kernel: w.shape[2], stride: OpFixtures.int(c, "stride"),
                              padding: OpFixtures.int(c, "padding"), engine: engine)
            let residual = OpFixtures.tensor(c, "residual").map { FeatureMap($0) }
            let out = conv(FeatureMap(x), relu: c["relu"] as! Bool, accumulate: residual, workspace: ws).tensor()
            #expect(OpFixtures.maxRelativeError(out, y) < 1e-5)
        }
    }

    @Test func subpixelDeconvolutionMatchesTorch() {
        for c in OpFixtures.cases("deconv") where OpFixtures.int(c, "padding") == 0 {
            let x = OpFixtures.tensor(c, "x")!, w = OpFixtures.tensor(c, "weight")!, y = OpFixtures.tensor(c, "y")!
            let k = w.shape[2]
            guard OpFixtures.int(c, "stride") == k else { continue }
            for engine in [engine, .reference] {
                let deconv = ConvTranspose2D(weight: w.data, bias: OpFixtures.tensor(c, "bias")!.data, inChannels: w.shape[0],
                                             outChannels: w.shape[1], kernel: k, stride: k, engine: engine)
                #expect(deconv.subpixelFactor == k)
                let out = deconv.assembled(deconv.features(FeatureMap(x), workspace: ws))
                #expect(OpFixtures.maxRelativeError(out, y) < 1e-5)
            }
        }
    }

    @Test func poolingAndUpsamplingMatchTorch() {
        for c in OpFixtures.cases("maxpool") {
            let out = Resample.maxPool(FeatureMap(OpFixtures.tensor(c, "x")!), kernel: OpFixtures.int(c, "kernel"),
                                       stride: OpFixtures.int(c, "stride"), padding: OpFixtures.int(c, "padding"))
            #expect(OpFixtures.maxRelativeError(out.tensor(), OpFixtures.tensor(c, "y")!) == 0)
        }
        for c in OpFixtures.cases("nearest") {
            let x = OpFixtures.tensor(c, "x")!
            let out = Resample.nearest(FeatureMap(x), h: OpFixtures.int(c, "h"), w: OpFixtures.int(c, "w")).tensor()
            #expect(OpFixtures.maxRelativeError(out, OpFixtures.tensor(c, "y")!) == 0)
        }
    }

    /// 1×1 → 3×3 → 1×1 + projection shortcut (strided) with the sum and ReLU as post-ops, then max pooling and a 2×
    /// nearest upsample, against the same layers on OpenBLAS through NCHW.
    @Test func bottleneckChainMatchesReferencePath() {
        func weights(_ count: Int, _ seed: Int) -> [Float] { (0..<count).map { Float(($0 * 7919 + seed * 104729) % 2003) / 2003 - 0.5 } }
        let cin = 32, mid = 16, cout = 64, h = 12, w = 10
        let x = Tensor(shape: [2, cin, h, w], data: weights(2 * cin * h * w, 1))
        func layers(_ e: ComputeEngine) -> [Conv2D] {
            [Conv2D(weight: weights(mid * cin, 2), bias: weights(mid, 3), outChannels: mid, inChannels: cin, kernel: 1, engine: e),
             Conv2D(weight: weights(mid * mid * 9, 4), bias: weights(mid, 5), outChannels: mid, inChannels: mid, kernel: 3,
                    stride: 2, padding: 1, engine: e),
             Conv2D(weight: weights(cout * mid, 6), bias: weights(cout, 7), outChannels: cout, inChannels: mid, kernel: 1, engine: e),
             Conv2D(weight: weights(cout * cin, 8), bias: weights(cout, 9), outChannels: cout, inChannels: cin, kernel: 1, engine: e)]
        }
        let r = layers(.reference), b = layers(engine)
        let shortcut = r[3](Resample.maxPool(x, kernel: 1, stride: 2, padding: 0), workspace: ws)
        let expected = r[2](r[1](r[0](x, relu: true, workspace: ws), relu: true, workspace: ws), relu: true,
                            residual: shortcut, workspace: ws)
        let bx = FeatureMap(x)
        let identity = b[3](bx, stride: 2, workspace: ws)
        let out = b[2](b[1](b[0](bx, relu: true, workspace: ws), relu: true, workspace: ws), relu: true, accumulate: identity, workspace: ws)
        #expect(OpFixtures.maxRelativeError(out.tensor(), expected) < 1e-5)
        let pooled = Resample.maxPool(out, kernel: 3, stride: 2, padding: 1)
        #expect(OpFixtures.maxRelativeError(pooled.tensor(), Resample.maxPool(expected, kernel: 3, stride: 2, padding: 1)) < 1e-5)
        let up = Resample.nearest2x(pooled).tensor()
        #expect(OpFixtures.maxRelativeError(up, Resample.nearest(pooled.tensor(), h: 2 * pooled.h, w: 2 * pooled.w)) == 0)
        // Sub-pixel split of the blocked output: [2, 64, H, W] seen as [8, 16, H, W] is image i's channel group g as
        // image 4i + g, i.e. the same NCHW values.
        let whole = out.tensor(), split = out.splittingChannels(into: 4).tensor()
        #expect(split.shape == [8, 16, whole.h, whole.w])
        #expect(split.data == whole.data)
    }
}
