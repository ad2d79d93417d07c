import Testing
import Tensor

/// bf16 rounding (round to nearest even, as hardware converts) and the emulated bf16 precision: it rounds exactly
/// where the real bf16 path stores bf16 — weights and inputs of bf16 products, every stored activation (a residual
/// sum included), but not a decision layer's fp32 output — so on a CPU with bf16 units the two agree to fp32
/// summation order.
@Suite struct BF16Tests {
    let ws = Workspace()

    @Test func roundsToNearestEven() {
        // 1 + 2⁻⁸ is halfway between bf16 1 and 1 + 2⁻⁷: ties go to the even mantissa (1).
        #expect(BF16.round(Float(1) + Float(1) / 256) == 1)
        // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ (even).
        #expect(BF16.round(Float(1) + Float(3) / 256) == Float(1) + Float(1) / 64)
        #expect(BF16.round(Float(1) + Float(1) / 256 + Float(1) / 4096) == Float(1) + Float(1) / 128)
        #expect(BF16.round(-2.5) == -2.5)
        #expect(BF16.round(Float.infinity) == .infinity)
        #expect(BF16.round(Float.nan).isNaN)
        #expect(BF16.round(Float.greatestFiniteMagnitude) == .infinity)
    }

    /// A draw other than `exact` moves only values within 2⁻²⁰ relative of a rounding boundary, to one of the two
    /// bf16 neighbours, each way about half the time; the exact draw is round to nearest even.
    @Test func drawsDifferOnlyAtRoundingBoundaries() {
        let ties = (0..<1000).map { Float(1) + Float(1 + 2 * ($0 % 64)) / 256 }  // halfway between two bf16 values
        for (i, x) in ties.enumerated() { #expect(BF16.Draw.exact.round(x, at: i) == BF16.round(x)) }
        let draw = BF16.Draw(1)
        let up = ties.enumerated().filter { i, x in
            let r = draw.round(x, at: i)
            #expect(r == BF16.round(x * (1 + 0x1p-20)) || r == BF16.round(x * (1 - 0x1p-20)))
            return r > x
        }.count
        #expect(up > 400 && up < 600, "ties rounded up \(up) of 1000 times")
        let far = ties.map { $0 + Float(1) / 1024 }  // a quarter of a bf16 step past the halfway points
        for (i, x) in far.enumerated() { #expect(draw.round(x, at: i) == BF16.round(x)) }
        #expect(zip(ties.indices, ties).map { BF16.Draw(2).round($1, at: $0) } != ties.indices.map { draw.round(ties[$0], at: $0) })
    }

    func values(_ count: Int, _ seed: Int) -> [Float] { (0..<count).map { Float(($0 * 37 + seed * 101) % 101) / 101 - 0.5 } }

    /// bf16-emulated direct = fp32 convolution of the bf16-rounded input and weights, output stored rounded; a
    /// decision layer's output, and one that stores fp32 (feeding a sum), stay fp32. Both backends.
    @Test(arguments: [ComputeBackend.openblas, .onednn]) func emulatedConvolutionRoundsWhereBF16IsStored(backend: ComputeBackend) {
        let cin = 8, cout = 5, h = 9, w = 7
        let weight = values(cout * cin * 9, 1)
        let x = Tensor(shape: [2, cin, h, w], data: values(2 * cin * h * w, 2))
        for (decision, storesFP32) in [(false, false), (true, false), (false, true)] {
            let emulated = Conv2D(weight: weight, bias: nil, outChannels: cout, inChannels: cin, kernel: 3, padding: 1,
                                  decision: decision, storesFP32: storesFP32,
                                  engine: ComputeEngine(backend: backend, precision: .bf16Emulated))
            let exact = Conv2D(weight: BF16.round(weight), bias: nil, outChannels: cout, inChannels: cin, kernel: 3, padding: 1,
                               engine: ComputeEngine(backend: backend))
            let a = emulated(x, workspace: ws), b = exact(BF16.round(x), workspace: ws)
            let fp32Out = decision || storesFP32
            #expect(OpFixtures.maxRelativeError(a, fp32Out ? b : BF16.round(b)) < 1e-5)
            #expect(a.data.allSatisfy { BF16.round($0) == $0 } == !fp32Out)
            #expect(OpFixtures.maxRelativeError(a, exact(x, workspace: ws)) > 0, "rounding the input changed nothing")
        }
    }

    /// A bottleneck with its residual sum, a 2× upsample and a lateral 1×1 with the sum onto it, a 3×3 and a decision
    /// 1×1 (fp32 out): real bf16 (bf16 stores between the layers) and its emulation agree to fp32 summation order on a
    /// CPU with bf16 units, for direct and Winograd kernels.
    @Test(arguments: [KernelPolicy.direct, .winograd]) func realAndEmulatedBF16Agree(policy: KernelPolicy) {
        guard CPUFeatures.current.hasBF16Units else { return }
        let c = 64
        func run(_ precision: Precision) -> Tensor {
            let e = ComputeEngine(backend: .auto, precision: precision, kernels: policy)
            func conv(_ k: Int, _ cin: Int, _ cout: Int, _ seed: Int, decision: Bool = false) -> Conv2D {
                Conv2D(weight: values(cout * cin * k * k, seed).map { $0 * 0.2 }, bias: values(cout, seed + 1), outChannels: cout,
                       inChannels: cin, kernel: k, padding: k / 2, decision: decision, engine: e)
            }
            let x = FeatureMap(Tensor(shape: [1, c, 16, 12], data: values(c * 16 * 12, 3)))
            let a = conv(1, c, c, 4)(x, relu: true, workspace: ws)
            let b = conv(3, c, c, 5)(a, relu: true, workspace: ws)
            let block = conv(1, c, c, 6)(b, relu: true, accumulate: x, workspace: ws)
            let lateral = conv(1, c, c, 7)(Resample.maxPool(block, kernel: 1, stride: 1, padding: 0), accumulate: Resample.nearest2x(
                Resample.maxPool(block, kernel: 2, stride: 2, padding: 0)), workspace: ws)
            let out = conv(3, c, c, 8)(lateral, relu: true, workspace: ws)
            return conv(1, c, 15, 9, decision: true)(out, workspace: ws).tensor()
        }
        // Relative L2: a summation-order difference flips the odd bf16 rounding (one ulp, 2⁻⁸, on that value).
        func relative(_ a: Tensor, _ b: Tensor) -> Double {
            var num = 0.0, den = 0.0
            for (x, y) in zip(a.data, b.data) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
            return (num / den).squareRoot()
        }
        let real = run(.bf16), emulated = run(.bf16Emulated), exact = run(.fp32)
        let diff = relative(real, emulated), bf16Error = relative(emulated, exact)
        #expect(bf16Error > 1e-3, "the chain's bf16 error (\(bf16Error)) should be visible")
        #expect(diff < bf16Error / 20, "real vs emulated bf16: \(diff), bf16 vs fp32: \(bf16Error)")
    }
}
