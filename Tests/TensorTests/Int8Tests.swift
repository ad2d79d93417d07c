import Testing
import Tensor

/// The int8 convolution computes the quantized products exactly (s32 sums): its output equals an fp32 convolution of
/// the quantized-then-dequantized input and weights (input per tensor, u8 when never negative, s8 otherwise, round to
/// nearest even and saturate; weights s8 per output channel), with bias, residual and ReLU, to fp32 rounding. On a
/// CPU without int8 dot products the weights keep 7 bits (see `Int8Convolution.weightLevels`): checked against that.
@Suite struct Int8Tests {
    let ws = Workspace()

    func values(_ count: Int, _ seed: UInt64, _ lo: Float, _ hi: Float) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return lo + (hi - lo) * Float(state >> 40) / Float(1 << 24)
        }
    }

    /// The numbers the int8 kernel computes, in fp32: dequantized input and weights.
    func quantizedOperands(x: [Float], weight: [Float], cout: Int, input: Int8Calibration.Input) -> ([Float], [Float]) {
        let s = input.scale, lo: Float = input.signed ? -128 : 0, hi: Float = input.signed ? 127 : 255
        let xq = x.map { min(hi, max(lo, ($0 / s).rounded(.toNearestOrEven))) * s }
        let per = weight.count / cout
        var wq = weight
        // Without int8 dot products: 7-bit weights, by our quantization (u8 inputs) or oneDNN halving them (s8).
        let noDotProducts = !CPUFeatures.current.hasInt8DotProducts
        let halve = noDotProducts && input.signed, levels: Float = noDotProducts && !input.signed ? 63 : 127
        for o in 0..<cout {
            let row = weight[(o * per)..<((o + 1) * per)], step = row.map(abs).max()! / levels
            for i in 0..<per {
                var q = (weight[o * per + i] / step).rounded(.toNearestOrEven)
                if halve { q = (q * 0.5).rounded(.toNearestOrEven) * 2 }
                wq[o * per + i] = q * step
            }
        }
        return (xq, wq)
    }

    @Test(arguments: [(false, 1, 3), (true, 1, 1), (false, 2, 3), (true, 1, 3)])
    func computesTheQuantizedProducts(signed: Bool, stride: Int, kernel: Int) throws {
        let cin = 32, cout = 48, h = 13, w = 11, n = 2
        let weight = values(cout * cin * kernel * kernel, 1, -0.2, 0.2), bias = values(cout, 2, -1, 1)
        let x = values(n * cin * h * w, 3, signed ? -2 : 0, 2)
        let input = Int8Calibration.Input(threshold: 1.5, signed: signed, rule: "test")   // clips some values
        let calibration = Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: ["layer": input])
        let int8 = Conv2D(weight: weight, bias: bias, outChannels: cout, inChannels: cin, kernel: kernel, stride: stride,
                          padding: kernel / 2, engine: ComputeEngine(backend: .auto, precision: .int8, calibration: calibration),
                          name: "layer")
        let (xq, wq) = quantizedOperands(x: x, weight: weight, cout: cout, input: input)
        let exact = Conv2D(weight: wq, bias: bias, outChannels: cout, inChannels: cin, kernel: kernel, stride: stride,
                           padding: kernel / 2, engine: ComputeEngine(backend: .onednn))
        let (oh, ow) = int8.outputSize(h: h, w: w)
        let residual = Tensor(shape: [n, cout, oh, ow], data: values(n * cout * oh * ow, 4, -1, 1))
        for (relu, sum) in [(false, false), (true, false), (true, true)] {
            let a = int8(Tensor(shape: [n, cin, h, w], data: x), relu: relu, residual: sum ? residual : nil, workspace: ws)
            let b = exact(Tensor(shape: [n, cin, h, w], data: xq), relu: relu, residual: sum ? residual : nil, workspace: ws)
            #expect(OpFixtures.maxRelativeError(a, b) < 1e-4, "relu \(relu) sum \(sum): \(OpFixtures.maxRelativeError(a, b))")
        }
        #expect(int8.choice == .int8Direct)
        #expect(int8.implementation.hasPrefix("oneDNN") && !int8.implementation.contains("ref"), "\(int8.implementation)")
    }
}
