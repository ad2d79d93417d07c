import Testing
import Tensor

/// Winograd F(4×4,3×3) (what `auto` may choose for 3×3 stride-1 layers; forced here with `KernelPolicy.winograd`)
/// against the OpenBLAS direct (im2col) path: RoI batches, odd sizes whose last tiles stick out of the map, maps
/// smaller than one tile, with and without ReLU, fed dense NCHW, nChw8c, nChw16c or NHWC, chained.
@Suite struct WinogradF4Tests {
    let ws = Workspace()

    func values(_ count: Int, _ seed: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { Float(($0 * 7919 + seed * 104729) % 2003) / 2003 * scale - scale / 2 }
    }

    func layers(cin: Int, cout: Int, precision: Precision = .fp32) -> (fast: Conv2D, reference: Conv2D) {
        let w = values(cout * cin * 9, 3, scale: 0.1), b = values(cout, 4)
        let fast = Conv2D(weight: w, bias: b, outChannels: cout, inChannels: cin, kernel: 3, padding: 1,
                          engine: ComputeEngine(backend: .auto, precision: precision, kernels: .winograd))
        let reference = Conv2D(weight: w, bias: b, outChannels: cout, inChannels: cin, kernel: 3, padding: 1,
                               allowWinograd: false, engine: .reference)
        return (fast, reference)
    }

    /// max |a − b| / (1 + |b|).
    func error(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a.data[i] - b.data[i]) / (1 + abs(b.data[i]))) }
        return m
    }

    @Test(arguments: [(3, 14, 14), (1, 13, 9), (2, 4, 5), (1, 3, 3), (1, 30, 41)])
    func matchesTheDirectConvolution(n: Int, h: Int, w: Int) {
        let (fast, reference) = layers(cin: 128, cout: 136)
        let x = Tensor(shape: [n, 128, h, w], data: values(n * 128 * h * w, 1))
        for relu in [false, true] {
            let want = reference(x, relu: relu, workspace: ws)
            #expect(error(fast(x, relu: relu, workspace: ws), want) < 2e-5)
            #expect(error(fast(FeatureMap(x), relu: relu, workspace: ws).tensor(), want) < 2e-5)
        }
        #expect(fast.implementation.contains("Winograd F(4x4,3x3), fp32 GEMMs"))
        #expect(fast.choice == .fp32Winograd)
    }

    /// AVX-512 kernels write nChw16c, AMX kernels NHWC: the kernel reads and writes those layouts too.
    @Test func readsAndWritesBlockedAndChannelsLastLayouts() {
        let (fast, reference) = layers(cin: 128, cout: 144)
        let x = Tensor(shape: [2, 128, 13, 10], data: values(2 * 128 * 13 * 10, 9))
        let want = reference(x, relu: true, workspace: ws)
        for block in [8, 16, 128] {
            let y = fast(FeatureMap(x, channelBlock: block), relu: true, workspace: ws)
            #expect(error(y.tensor(), want) < 2e-5, "channel block \(block)")
        }
    }

    @Test func chainsInTheKernelsLayout() {
        // Two layers back to back: the second reads the first's output without a reorder.
        let (f1, r1) = layers(cin: 128, cout: 128)
        let x = Tensor(shape: [4, 128, 14, 14], data: values(4 * 128 * 14 * 14, 7))
        let fast = f1(f1(FeatureMap(x), relu: true, workspace: ws), relu: true, workspace: ws).tensor()
        let want = r1(r1(x, relu: true, workspace: ws), relu: true, workspace: ws)
        #expect(error(fast, want) < 5e-5)
    }

    /// Relative L2 error of `a` against `b`.
    func relative(_ a: Tensor, _ b: Tensor) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a.data, b.data) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
        return (num / den).squareRoot()
    }

    /// bf16 Winograd (emulated: V and U rounded to bf16, fp32 GEMMs, the output rounded as a bf16 store) within a few
    /// times bf16 direct's error of the exact result (the transforms' ±2, ±4 points spread V's rounding); on a CPU
    /// with bf16 units the real kernel (bf16 GEMMs on oneDNN) computes the emulation's numbers.
    @Test func bf16GEMMsKeepBF16Accuracy() {
        let (emulated, reference) = layers(cin: 128, cout: 128, precision: .bf16Emulated)
        let direct = Conv2D(weight: values(128 * 128 * 9, 3, scale: 0.1), bias: values(128, 4), outChannels: 128, inChannels: 128,
                            kernel: 3, padding: 1, engine: ComputeEngine(backend: .auto, precision: .bf16Emulated, kernels: .direct))
        let x = Tensor(shape: [2, 128, 14, 14], data: values(2 * 128 * 14 * 14, 11))
        let want = reference(x, relu: false, workspace: ws)
        let e = emulated(x, workspace: ws), d = direct(x, workspace: ws)
        #expect(emulated.choice == .bf16Winograd && direct.choice == .bf16Direct)
        #expect(e.data.allSatisfy { BF16.round($0) == $0 }, "stores are rounded to bf16")
        let winogradError = relative(e, want), directError = relative(d, want)
        print(String(format: "bf16 Winograd rel-L2 %.2e, bf16 direct %.2e", winogradError, directError))
        #expect(winogradError > directError / 2 && winogradError < 8 * directError)
        guard CPUFeatures.current.hasBF16Units else { return }
        let (real, _) = layers(cin: 128, cout: 128, precision: .bf16)
        let r = real(x, workspace: ws)
        #expect(real.implementation.contains("bf16 GEMMs"))
        #expect(relative(r, e) < winogradError / 20, "real bf16 Winograd vs its emulation")
    }
}
