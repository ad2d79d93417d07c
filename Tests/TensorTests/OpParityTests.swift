import Testing
import Tensor

/// Each op against PyTorch's own output on the same inputs (fixtures from tools/reference/make_op_fixtures.py).
@Suite struct OpParityTests {
    let ws = Workspace()

    /// Every op that has a backend runs on each: OpenBLAS (the reference path) and oneDNN.
    static let backends: [ComputeBackend] = [.openblas, .onednn]

    @Test(arguments: backends) func convolutionMatchesTorch(backend: ComputeBackend) {
        for c in OpFixtures.cases("conv") {
            let x = OpFixtures.tensor(c, "x")!, w = OpFixtures.tensor(c, "weight")!, y = OpFixtures.tensor(c, "y")!
            let conv = Conv2D(weight: w.data, bias: OpFixtures.tensor(c, "bias")!.data, outChannels: w.shape[0],
                              inChannels: w.shape[1], kernel: w.shape[2], stride: OpFixtures.int(c, "stride"),
                              padding: OpFixtures.int(c, "padding"), engine: ComputeEngine(backend: backend))
            let out = conv(x, relu: c["relu"] as! Bool, residual: OpFixtures.tensor(c, "residual"), workspace: ws)
            #expect(out.shape == y.shape)
            #expect(OpFixtures.maxRelativeError(out, y) < 1e-5)
        }
    }

    @Test(arguments: backends) func transposedConvolutionMatchesTorch(backend: ComputeBackend) {
        for c in OpFixtures.cases("deconv") {
            let x = OpFixtures.tensor(c, "x")!, w = OpFixtures.tensor(c, "weight")!, y = OpFixtures.tensor(c, "y")!
            let deconv = ConvTranspose2D(weight: w.data, bias: OpFixtures.tensor(c, "bias")!.data, inChannels: w.shape[0],
                                         outChannels: w.shape[1], kernel: w.shape[2], stride: OpFixtures.int(c, "stride"),
                                         padding: OpFixtures.int(c, "padding"), engine: ComputeEngine(backend: backend))
            let out = deconv(x, workspace: ws)
            #expect(out.shape == y.shape)
            #expect(OpFixtures.maxRelativeError(out, y) < 1e-5)
        }
    }

    @Test(arguments: backends) func linearMatchesTorch(backend: ComputeBackend) {
        for c in OpFixtures.cases("linear") {
            let x = OpFixtures.tensor(c, "x")!, w = OpFixtures.tensor(c, "weight")!, y = OpFixtures.tensor(c, "y")!
            let fc = Linear(weight: w.data, bias: OpFixtures.tensor(c, "bias")!.data, inFeatures: w.shape[1], outFeatures: w.shape[0],
                            engine: ComputeEngine(backend: backend))
            #expect(OpFixtures.maxRelativeError(fc(x), y) < 1e-5)
        }
    }

    @Test func poolingMatchesTorch() {
        for c in OpFixtures.cases("maxpool") {
            let out = Resample.maxPool(OpFixtures.tensor(c, "x")!, kernel: OpFixtures.int(c, "kernel"),
                                       stride: OpFixtures.int(c, "stride"), padding: OpFixtures.int(c, "padding"))
            #expect(OpFixtures.maxRelativeError(out, OpFixtures.tensor(c, "y")!) == 0)
        }
    }

    @Test func nearestResizeMatchesTorch() {
        for c in OpFixtures.cases("nearest") {
            let out = Resample.nearest(OpFixtures.tensor(c, "x")!, h: OpFixtures.int(c, "h"), w: OpFixtures.int(c, "w"))
            #expect(OpFixtures.maxRelativeError(out, OpFixtures.tensor(c, "y")!) == 0)
        }
    }

    @Test func bilinearResizeMatchesTorch() {
        for c in OpFixtures.cases("bilinear") {
            let out = Resample.bilinear(OpFixtures.tensor(c, "x")!, h: OpFixtures.int(c, "h"), w: OpFixtures.int(c, "w"))
            #expect(OpFixtures.maxRelativeError(out, OpFixtures.tensor(c, "y")!) < 1e-6)
        }
    }
}
