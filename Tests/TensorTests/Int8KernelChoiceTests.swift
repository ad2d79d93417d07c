import Testing
import Tensor

/// A calibrated 3×3 stride-1 layer of an int8 model competes with fp32 Winograd F(4×4,3×3) (where there are no int8
/// dot products, Winograd's quarter of the multiplies can win): the choice is measured on the map the layer is about
/// to read, asked for by the layer writing it, which then stores int8 only for an int8 reader. Whatever is chosen, the
/// output is that kernel's: the quantized products, or the fp32 convolution of the unquantized input.
@Suite struct Int8KernelChoiceTests {
    let ws = Workspace(), c = 32, h = 9, w = 7, n = 2
    let helper = Int8Tests()
    let inputs: [String: Int8Calibration.Input] = [
        "a": .init(threshold: 2, signed: false, rule: "test"),   // a 1×1 layer writing b's input
        "b": .init(threshold: 3, signed: false, rule: "test")]   // the 3×3 layer that competes
    var calibration: Int8Calibration { Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: inputs) }

    func layers(_ kernels: KernelPolicy) -> (a: Conv2D, b: Conv2D, wb: [Float], bb: [Float]) {
        let engine = ComputeEngine(backend: .auto, precision: .int8, kernels: kernels, calibration: calibration)
        let wb = helper.values(c * c * 9, 21, -0.1, 0.1), bb = helper.values(c, 22, -0.5, 0.5)
        let a = Conv2D(weight: helper.values(c * c, 23, -0.2, 0.2), bias: helper.values(c, 24, -0.5, 0.5), outChannels: c,
                       inChannels: c, kernel: 1, engine: engine, name: "a")
        let b = Conv2D(weight: wb, bias: bb, outChannels: c, inChannels: c, kernel: 3, padding: 1, engine: engine, name: "b")
        return (a, b, wb, bb)
    }

    /// Runs a → b and checks b's output against the computation its choice names, and a's store against b's choice.
    func check(_ kernels: KernelPolicy) -> KernelChoice? {
        let (a, b, wb, bb) = layers(kernels)
        let x = Tensor(shape: [n, c, h, w], data: helper.values(n * c * h * w, 25, 0, 2))
        let mid = a(FeatureMap(x), relu: true, feeding: b, workspace: ws)
        let values = mid.tensor()
        let y = b(mid, relu: true, workspace: ws).tensor()
        guard let choice = b.choice else { Issue.record("b chose no kernel"); return nil }
        #expect(mid.type == (choice.int8 ? .u8 : .f32), "a stores \(mid.type) for b's \(choice)")
        #expect(b.weight.isEmpty == choice.int8, "the fp32 weights are kept only for fp32 Winograd")
        let fp32 = ComputeEngine(backend: .onednn)
        let want: Tensor
        if choice.int8 {
            let (xq, wq) = helper.quantizedOperands(x: values.data, weight: wb, cout: c, input: inputs["b"]!)
            want = Conv2D(weight: wq, bias: bb, outChannels: c, inChannels: c, kernel: 3, padding: 1, engine: fp32)(
                Tensor(shape: values.shape, data: xq), relu: true, workspace: ws)
        } else {
            want = Conv2D(weight: wb, bias: bb, outChannels: c, inChannels: c, kernel: 3, padding: 1, engine: fp32)(values, relu: true, workspace: ws)
        }
        #expect(OpFixtures.maxRelativeError(y, want) < 1e-4, "\(choice): \(OpFixtures.maxRelativeError(y, want))")
        return choice
    }

    @Test("a plan's choice for the class and map size is taken", arguments: [KernelChoice.int8Direct, .fp32Winograd])
    func planned(_ choice: KernelChoice) {
        #expect(check(.plan(KernelPlan(["int8 u8 conv3x3/1 32→32 maps 9×7": choice]))) == choice)
    }

    @Test("measured: either kernel, consistently stored and computed")
    func measured() {
        let choice = check(.measured)
        #expect(choice == .int8Direct || choice == .fp32Winograd, "\(String(describing: choice))")
    }

    @Test("the direct and winograd policies keep the int8 kernel", arguments: [KernelPolicy.direct, .winograd])
    func fixedPolicies(_ kernels: KernelPolicy) {
        #expect(check(kernels) == .int8Direct)
    }
}
