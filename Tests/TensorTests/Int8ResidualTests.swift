import Testing
import Tensor

/// The int8 residual stream of a bottleneck (ResNet50.Bottleneck in an int8 chain): a 1×1 int8 convolution stores
/// relu(conv(z) + bias + shortcut) u8 as its reader reads it, the shortcut summed in place from an int8 map — the
/// block input as the block's layers read it (u8: identity) or a projection's output stored s8 with the reader's
/// threshold (`Int8Calibration.Input.residual`). Checked against fp32 computations of the same quantized values:
/// equal but where an fp32 value lies within float noise of a half step (both roundings are then right).
@Suite struct Int8ResidualTests {
    let ws = Workspace(), c = 32, h = 9, w = 7, n = 2
    let inputs: [String: Int8Calibration.Input] = [
        "producer": .init(threshold: 2, signed: false, rule: "test"),   // writes the block input
        "block": .init(threshold: 3, signed: false, rule: "test"),      // the block input's readers (conv1, projection)
        "conv3": .init(threshold: 1.5, signed: false, rule: "test"),
        "reader": .init(threshold: 4, signed: false, rule: "test"),     // the block output's reader
        "other": .init(threshold: 5, signed: false, rule: "test")]      // a reader of another step
    var engine: ComputeEngine {
        ComputeEngine(backend: .auto, precision: .int8,
                      calibration: Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: inputs))
    }
    let helper = Int8Tests()

    func weights(_ seed: UInt64) -> (weight: [Float], bias: [Float]) {
        (helper.values(c * c, seed, -0.2, 0.2), helper.values(c, seed + 1, -0.5, 0.5))
    }

    func conv(_ name: String, _ seed: UInt64, engine: ComputeEngine) -> Conv2D {
        let (weight, bias) = weights(seed)
        return Conv2D(weight: weight, bias: bias, outChannels: c, inChannels: c, kernel: 1, engine: engine, name: name)
    }

    /// conv `seed` in fp32 on the quantized values `x` holds for the int8 layer `name` (its weights quantized too).
    func exact(_ name: String, _ seed: UInt64, _ x: Tensor, relu: Bool, residual: Tensor? = nil) -> Tensor {
        let (weight, bias) = weights(seed)
        let (xq, wq) = helper.quantizedOperands(x: x.data, weight: weight, cout: c, input: inputs[name]!)
        let layer = Conv2D(weight: wq, bias: bias, outChannels: c, inChannels: c, kernel: 1, engine: ComputeEngine(backend: .onednn))
        return layer(Tensor(shape: x.shape, data: xq), relu: relu, residual: residual, workspace: ws)
    }

    /// `got` (an int8 map's values) is `float` quantized with `input`'s step, up to ties within float noise.
    func expectQuantized(_ got: Tensor, _ float: Tensor, _ input: Int8Calibration.Input, _ what: String) {
        let step = input.scale, lo: Float = input.signed ? -128 : 0, hi: Float = input.signed ? 127 : 255
        var ties = 0
        for (g, f) in zip(got.data, float.data) {
            let k = (g / step).rounded(), q = min(hi, max(lo, (f / step).rounded(.toNearestOrEven)))
            guard k != q else { continue }
            let distance = abs(abs(f / step - (f / step).rounded(.down)) - 0.5)
            #expect(abs(k - q) == 1 && distance < 2e-3, "\(what): \(g) for \(f) (step \(step))")
            ties += 1
        }
        #expect(ties <= got.data.count / 100, "\(what): \(ties) values round the other way")
    }

    @Test(arguments: [false, true])
    func sumsAnInt8ShortcutInPlace(projection: Bool) throws {
        let engine = self.engine
        let producer = conv("producer", 1, engine: engine), block = conv("block", 3, engine: engine)
        let conv3 = conv("conv3", 5, engine: engine), reader = conv("reader", 7, engine: engine)
        let x = Tensor(shape: [n, c, h, w], data: helper.values(n * c * h * w, 9, 0, 2))
        let z = Tensor(shape: [n, c, h, w], data: helper.values(n * c * h * w, 11, 0, 2))
        let input = producer(FeatureMap(x), relu: true, feeding: block, workspace: ws)
        #expect(input.type == .u8)
        let shortcut = projection ? block(input, shortcutOf: reader, workspace: ws) : input
        #expect(shortcut.type == (projection ? .s8 : .u8))
        let values = shortcut.tensor()   // read before the sum overwrites it
        if projection {
            expectQuantized(values, exact("block", 3, input.tensor(), relu: false), inputs["reader"]!.residual, "projection")
        }
        let out = conv3(FeatureMap(z), relu: true, accumulate: shortcut, feeding: reader, workspace: ws)
        #expect(out.type == .u8)
        expectQuantized(out.tensor(), exact("conv3", 5, z, relu: true, residual: values), inputs["reader"]!, "block output")
        #expect(!conv3.implementation.contains("ref") && !block.implementation.contains("ref"),
                "\(conv3.implementation), \(block.implementation)")
        // A reader of another step requantizes the stored map: what it computes on the map's values.
        let other = conv("other", 13, engine: engine)
        #expect(other(out, workspace: ws).tensor().data == other(FeatureMap(out.tensor()), workspace: ws).tensor().data)
    }
}
