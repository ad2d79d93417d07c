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

    /// The 2× nearest upsample keeps the map's type (and an int8 map's step) and picks exactly the values of the NCHW
    /// reference, for the maps the chains hand it: oneDNN's blocked fp32 (and bf16 where the CPU has bf16 units), the
    /// int8 kernels' channels-last fp32 output and their u8 output. (A hand-written 2× copy was no faster than
    /// oneDNN's resampling here — 16 ms against 12.9 for the FPN's 256 × 100×136 map on a Zen 4: both memory-bound.)
    @Test func nearest2xOfEveryChainsMaps() {
        let c = 32, h = 5, w = 7, n = 2
        let helper = Int8Tests()
        let x = Tensor(shape: [n, c, h, w], data: helper.values(n * c * h * w, 31, 0, 2))
        let weight = helper.values(c * c, 32, -0.2, 0.2), bias = helper.values(c, 33, -0.5, 0.5)
        let step = Int8Calibration.Input(threshold: 3, signed: false, rule: "test")
        let calibration = Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: ["a": step, "b": step])
        let int8 = ComputeEngine(backend: .auto, precision: .int8, kernels: .direct, calibration: calibration)
        func conv(_ e: ComputeEngine, _ name: String = "") -> Conv2D {
            Conv2D(weight: weight, bias: bias, outChannels: c, inChannels: c, kernel: 1, engine: e, name: name)
        }
        let b = conv(int8, "b")
        let maps = [conv(ComputeEngine(backend: .onednn))(FeatureMap(x), relu: true, workspace: ws),
                    conv(ComputeEngine(backend: .onednn, precision: .bf16))(FeatureMap(x), relu: true, workspace: ws),
                    conv(int8, "a")(FeatureMap(x), relu: true, workspace: ws),
                    conv(int8, "a")(FeatureMap(x), relu: true, feeding: b, workspace: ws)]
        #expect(maps[3].type == .u8)
        for map in maps {
            let up = Resample.nearest2x(map)
            #expect(up.type == map.type && up.shape == [n, c, 2 * h, 2 * w])
            #expect(up.tensor().data == Resample.nearest(map.tensor(), h: 2 * h, w: 2 * w).data, "\(map.type)")
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
