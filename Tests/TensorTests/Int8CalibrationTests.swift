import Foundation
import Testing
import Tensor

/// The per-layer int8 error estimate of a calibration and the fp32 fallback it decides: s8 weight error per output
/// channel (unchanged by a per-channel scale, as batch-norm folding applies), and layers above the limit kept fp32.
@Suite("int8 calibration: estimated error and fp32 fallback")
struct Int8CalibrationTests {
    @Test("weight error: s8 per output channel, round to nearest even, unchanged by a scale per channel")
    func weightError() {
        // Row [1, 0.5]: step 1/127, 0.5·127 = 63.5 rounds to 64 (even): error 0.5 − 64/127.
        let e = Int8Calibration.weightError([1, 0.5], shape: [1, 2])
        let expected = (abs(0.5 - 64.0 / 127.0) / (1.25).squareRoot())
        #expect(abs(e - expected) < 1e-6)
        var rng = Uniform(seed: 7)
        let w = (0..<(8 * 4 * 9)).map { _ in rng.nextFloat() - 0.5 }
        let base = Int8Calibration.weightError(w, shape: [8, 4, 3, 3])
        let scaled = w.enumerated().map { $0.element * Float(1 + $0.offset / 36) * 0.37 }
        #expect(abs(Int8Calibration.weightError(scaled, shape: [8, 4, 3, 3]) - base) < 1e-3 * base)
        #expect(base > 0 && base < 0.02)
        // A transposed convolution's [Cin, Cout, k, k] groups by output channel and kernel position.
        let (cin, cout, kk) = (4, 8, 9)
        let permuted = (0..<(cout * kk * cin)).map { i -> Float in
            let g = i / cin, c = i % cin           // group g = (o, kernel position), input channel c
            return w[c * cout * kk + g]
        }
        #expect(abs(Int8Calibration.weightError(w, shape: [cin, cout, 3, 3], transposed: true)
                    - Int8Calibration.weightError(permuted, shape: [cout * kk, cin])) < 1e-9)
    }

    @Test("a weight row dominated by one value is a large error")
    func outlierRow() {
        let row = [Float(100)] + [Float](repeating: 0.3, count: 100_000)
        #expect(Int8Calibration.weightError(row, shape: [1, row.count]) > 0.5)
    }

    @Test("layers estimated above the limit stay fp32; the others run int8 with their estimate")
    func fallback() throws {
        var h = ActivationHistogram()
        var rng = Uniform(seed: 3)
        let values = (0..<50_000).map { _ in rng.nextFloat() }
        values.withUnsafeBufferPointer { h.add($0) }
        let c = Int8Calibration.measured(model: "test", weights: "0", shortSide: 0, frames: 1, histograms: ["a": h, "b": h],
                                         weightErrors: ["a": 0.01, "b": 0.5])
        let a = try #require(c.inputs["a"])
        #expect(c.inputs["b"] == nil)
        #expect(c.fp32Layers?["b"]?.estimatedError ?? 0 > Int8Calibration.fp32Limit)
        // Uniform [0, 1) on 255 steps: relative input error ≈ (1/255)/√12 / √(1/3) ≈ 0.2 %; with the weights' 1 %.
        let e = try #require(a.estimatedError)
        #expect(e > 0.01 && e < 0.0105)
        let decoded = try Int8Calibration.decoded(try c.encoded())
        #expect(decoded == c)
    }

    @Test("a calibration file without the fp32 layers (older) still reads; none are kept fp32")
    func olderFile() throws {
        let text = #"{"format":1,"model":"m","weights":"w","shortSide":800,"frames":2,"inputs":{"x":{"threshold":1,"signed":false,"rule":"minmax"}}}"#
        let c = try Int8Calibration.decoded(Data(text.utf8))
        #expect(c.fp32Layers == nil)
        #expect(c.inputs["x"]?.estimatedError == nil)
    }
}

/// Uniform values in [0, 1) from a 64-bit LCG (Knuth's MMIX constants): test data without the module's internals.
private struct Uniform {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextFloat() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24)
    }
}
