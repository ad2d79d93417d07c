import Testing
import Tensor

/// The blocked Winograd F(4×4,3×3) that `auto` runs for wide 3×3 layers, against the OpenBLAS direct (im2col) path:
/// RoI batches, odd sizes whose last tiles stick out of the map, maps smaller than one tile, both entry points (a
/// blocked chain and an NCHW tensor), with and without ReLU.
@Suite struct WinogradF4Tests {
    let ws = Workspace()

    func values(_ count: Int, _ seed: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { Float(($0 * 7919 + seed * 104729) % 2003) / 2003 * scale - scale / 2 }
    }

    func layers(cin: Int, cout: Int) -> (fast: Conv2D, reference: Conv2D) {
        let w = values(cout * cin * 9, 3, scale: 0.1), b = values(cout, 4)
        let fast = Conv2D(weight: w, bias: b, outChannels: cout, inChannels: cin, kernel: 3, padding: 1,
                          engine: ComputeEngine(backend: .auto))
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
        #expect(fast.implementation.contains("Winograd F(4x4,3x3)"))
        let x = Tensor(shape: [n, 128, h, w], data: values(n * 128 * h * w, 1))
        for relu in [false, true] {
            let want = reference(x, relu: relu, workspace: ws)
            #expect(error(fast(x, relu: relu, workspace: ws), want) < 2e-5)
            #expect(error(fast.blocked(BlockedTensor(x), relu: relu).tensor(), want) < 2e-5)
        }
    }

    /// Above 256 input channels (the keypoint head's 512) only RoI batches of ≥ 8 maps take Winograd; both paths agree.
    @Test func widerLayersTakeItForRoIBatches() {
        let (fast, reference) = layers(cin: 264, cout: 16)
        #expect(fast.implementation.contains("for ≥ 8 maps"))
        for n in [1, 8] {
            let x = Tensor(shape: [n, 264, 14, 14], data: values(n * 264 * 14 * 14, 5))
            let want = reference(x, relu: true, workspace: ws)
            #expect(error(fast(x, relu: true, workspace: ws), want) < 2e-5)
            #expect(error(fast.blocked(BlockedTensor(x), relu: true).tensor(), want) < 2e-5)
        }
    }

    /// AVX-512 kernels write nChw16c: the kernel reads and writes that layout too (here fed by hand).
    @Test func readsAndWritesSixteenChannelBlocks() {
        let (fast, reference) = layers(cin: 128, cout: 144)
        let x = Tensor(shape: [2, 128, 13, 10], data: values(2 * 128 * 13 * 10, 9))
        let want = reference(x, relu: true, workspace: ws)
        for block in [8, 16] {
            #expect(error(fast.blocked(BlockedTensor(x, channelBlock: block), relu: true).tensor(), want) < 2e-5)
        }
    }

    @Test func chainsInTheKernelsLayout() {
        // Two layers back to back: the second reads the first's blocked output without a reorder.
        let (f1, r1) = layers(cin: 128, cout: 128)
        let x = Tensor(shape: [4, 128, 14, 14], data: values(4 * 128 * 14 * 14, 7))
        let fast = f1.blocked(f1.blocked(BlockedTensor(x), relu: true), relu: true).tensor()
        let want = r1(r1(x, relu: true, workspace: ws), relu: true, workspace: ws)
        #expect(error(fast, want) < 5e-5)
    }
}
