import Testing
import Tensor

/// bf16 rounding (round to nearest even, as hardware converts) and the emulated bf16 precision of the layers.
@Suite struct BF16Tests {
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

    /// bf16-emulated = fp32 convolution of the bf16-rounded input and weights, on either backend.
    @Test(arguments: [ComputeBackend.openblas, .onednn]) func emulatedConvolutionRoundsInputsAndWeights(backend: ComputeBackend) {
        let cin = 8, cout = 5, h = 9, w = 7
        let weight = (0..<(cout * cin * 9)).map { Float(($0 * 37) % 101) / 101 - 0.5 }
        let x = Tensor(shape: [2, cin, h, w], data: (0..<(2 * cin * h * w)).map { Float(($0 * 53) % 97) / 97 - 0.5 })
        let ws = Workspace()
        let emulated = Conv2D(weight: weight, bias: nil, outChannels: cout, inChannels: cin, kernel: 3, padding: 1,
                              engine: ComputeEngine(backend: backend, precision: .bf16Emulated))
        let exact = Conv2D(weight: BF16.round(weight), bias: nil, outChannels: cout, inChannels: cin, kernel: 3, padding: 1,
                           engine: ComputeEngine(backend: backend))
        let a = emulated(x, workspace: ws), b = exact(BF16.round(x), workspace: ws)
        let err = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
        #expect(err < 1e-5)
        let plain = exact(x, workspace: ws)
        #expect(zip(a.data, plain.data).contains { $0 != $1 }, "rounding the input changed nothing")
    }
}
