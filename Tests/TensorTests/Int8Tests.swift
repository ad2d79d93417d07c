import Testing
import Tensor

/// The int8 convolution computes the quantized products exactly (s32 sums): its output equals an fp32 convolution of
/// the quantized-then-dequantized input and weights (input per tensor, u8 when never negative, s8 otherwise, round to
/// nearest even and saturate; weights s8 per output channel), with bias, residual and ReLU, to fp32 rounding. On a
/// CPU without int8 dot products the weights keep 7 bits (see `Int8Convolution.weightLevels`): checked against that.
/// (The `direct` kernel policy keeps 3×3 layers on their int8 kernel; Int8KernelChoiceTests covers fp32 Winograd.)
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
        let per = weight.count / max(cout, 1)
        var wq = weight
        if weight.isEmpty { return (xq, []) }
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

    /// (Last case: a stem, 3 channels of a normalised image, 7×7 stride 2.)
    @Test(arguments: [(false, 1, 3, 32), (true, 1, 1, 32), (false, 2, 3, 32), (true, 1, 3, 32), (true, 2, 7, 3)])
    func computesTheQuantizedProducts(signed: Bool, stride: Int, kernel: Int, cin: Int) throws {
        let cout = 48, h = 13, w = 11, n = 2
        let weight = values(cout * cin * kernel * kernel, 1, -0.2, 0.2), bias = values(cout, 2, -1, 1)
        let x = values(n * cin * h * w, 3, signed ? -2 : 0, 2)
        let input = Int8Calibration.Input(threshold: 1.5, signed: signed, rule: "test")   // clips some values
        let calibration = Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: ["layer": input])
        let int8 = Conv2D(weight: weight, bias: bias, outChannels: cout, inChannels: cin, kernel: kernel, stride: stride,
                          padding: kernel / 2, engine: ComputeEngine(backend: .auto, precision: .int8, kernels: .direct, calibration: calibration),
                          name: "layer")
        let (xq, wq) = quantizedOperands(x: x, weight: weight, cout: cout, input: input)
        let exact = Conv2D(weight: wq, bias: bias, outChannels: cout, inChannels: cin, kernel: kernel, stride: stride,
                           padding: kernel / 2, engine: ComputeEngine(backend: .onednn))
        let (oh, ow) = int8.outputSize(h: h, w: w)
        let residual = Tensor(shape: [n, cout, oh, ow], data: values(n * cout * oh * ow, 4, -1, 1))
        for (relu, sum) in [(false, false), (true, false), (true, true)] {
            let a = int8(Tensor(shape: [n, cin, h, w], data: x), relu: relu, residual: sum ? residual : nil, workspace: ws)
            let b = exact(Tensor(shape: [n, cin, h, w], data: xq), relu: relu, residual: sum ? residual : nil, workspace: ws)
            // A sum with a float residual is stored bf16 where the CPU has bf16 units (`Int8Convolution.sumsInBF16`).
            let tolerance: Float = sum && CPUFeatures.current.hasBF16Units ? 4e-3 : 1e-4
            #expect(OpFixtures.maxRelativeError(a, b) < tolerance, "relu \(relu) sum \(sum): \(OpFixtures.maxRelativeError(a, b))")
        }
        #expect(int8.choice == .int8Direct)
        #expect(int8.implementation.hasPrefix("oneDNN") && !int8.implementation.contains("ref"), "\(int8.implementation)")
    }

    /// A linear layer on an int8 engine whose calibration names it computes the quantized products too (rows as
    /// the pixels of a 1×1 convolution), for row counts across the chunking; a decision layer (unnamed) stays fp32.
    @Test(arguments: [false, true])
    func linearComputesTheQuantizedProducts(signed: Bool) throws {
        let inF = 96, outF = 40
        let weight = values(outF * inF, 11, -0.2, 0.2), bias = values(outF, 12, -1, 1)
        let input = Int8Calibration.Input(threshold: 1.5, signed: signed, rule: "test")
        let calibration = Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: ["fc": input])
        let engine = ComputeEngine(backend: .auto, precision: .int8, calibration: calibration)
        let int8 = Linear(weight: weight, bias: bias, inFeatures: inF, outFeatures: outF, engine: engine, name: "fc")
        let (_, wq) = quantizedOperands(x: [], weight: weight, cout: outF, input: input)
        let exact = Linear(weight: wq, bias: bias, inFeatures: inF, outFeatures: outF, engine: ComputeEngine(backend: .onednn))
        for rows in [1, 7, 600] {
            let x = values(rows * inF, UInt64(13 + rows), signed ? -2 : 0, 2)
            let (xq, _) = quantizedOperands(x: x, weight: [], cout: 1, input: input)
            for relu in [false, true] {
                let a = int8(Tensor(shape: [rows, inF], data: x), relu: relu), b = exact(Tensor(shape: [rows, inF], data: xq), relu: relu)
                #expect(a.shape == [rows, outF])
                #expect(OpFixtures.maxRelativeError(a, b) < 1e-4, "rows \(rows) relu \(relu): \(OpFixtures.maxRelativeError(a, b))")
            }
        }
        #expect(int8.implementation.hasSuffix("(rows as pixels)") && !int8.implementation.contains("ref"), "\(int8.implementation)")
        let decision = Linear(weight: weight, bias: bias, inFeatures: inF, outFeatures: outF, engine: engine)
        #expect(!decision.implementation.contains("rows as pixels"), "\(decision.implementation)")
    }

    /// An int8 layer feeding another stores its output as the next one's quantized input (u8 after a ReLU or where
    /// the next input is never negative, s8 otherwise): the chain computes what the fp32-stored chain computes, whose
    /// second layer quantizes that output itself.
    @Test(arguments: [false, true])
    func storesTheNextLayersInput(signedNext: Bool) throws {
        let c = 32, h = 9, w = 7, n = 2
        let first = Int8Calibration.Input(threshold: 1.5, signed: false, rule: "test")
        let next = Int8Calibration.Input(threshold: 3, signed: signedNext, rule: "test")
        let calibration = Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: ["a": first, "b": next])
        let engine = ComputeEngine(backend: .auto, precision: .int8, kernels: .direct, calibration: calibration)   // int8, not Winograd
        let a = Conv2D(weight: values(c * c * 9, 5, -0.1, 0.1), bias: values(c, 6, -0.5, 0.5), outChannels: c, inChannels: c,
                       kernel: 3, padding: 1, engine: engine, name: "a")
        let b = Conv2D(weight: values(c * c, 7, -0.2, 0.2), bias: values(c, 8, -1, 1), outChannels: c, inChannels: c,
                       kernel: 1, engine: engine, name: "b")
        let x = Tensor(shape: [n, c, h, w], data: values(n * c * h * w, 9, 0, 2))
        let relu = !signedNext
        let mid = a(FeatureMap(x), relu: relu, feeding: b, workspace: ws)
        #expect(mid.type == (signedNext ? .s8 : .u8))
        let stored = b(mid, workspace: ws).tensor()
        let float = b(a(FeatureMap(x), relu: relu, workspace: ws), workspace: ws).tensor()
        #expect(OpFixtures.maxRelativeError(stored, float) < 1e-4, "\(OpFixtures.maxRelativeError(stored, float))")
    }

    /// Layers of one calibrated step reading one map share its quantized copy (a stage's output: the next block's
    /// conv1 and shortcut, the FPN lateral); a map written in place (a residual sum's destination) is quantized anew.
    @Test func aMapQuantizedOnceIsQuantizedAgainAfterItIsWrittenInPlace() throws {
        let c = 32, h = 6, w = 5
        let step = Int8Calibration.Input(threshold: 4, signed: false, rule: "test")
        let calibration = Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1,
                                          inputs: ["base": step, "a": step, "b": step, "sum": step])
        let engine = ComputeEngine(backend: .auto, precision: .int8, calibration: calibration)
        func conv(_ name: String, _ seed: UInt64) -> Conv2D {
            Conv2D(weight: values(c * c, seed, -0.2, 0.2), bias: values(c, seed + 1, -0.5, 0.5), outChannels: c, inChannels: c,
                   kernel: 1, engine: engine, name: name)
        }
        let base = conv("base", 9), a = conv("a", 11), b = conv("b", 13), sum = conv("sum", 15)
        let x = Tensor(shape: [1, c, h, w], data: values(c * h * w, 17, 0, 2))
        // An fp32 map in the int8 kernels' own output layout, so that `sum` below writes into its buffer.
        let shared = base(FeatureMap(x), relu: true, workspace: ws), copy = shared.tensor()
        let ya = a(shared, workspace: ws).tensor(), yb = b(shared, workspace: ws).tensor()
        #expect(ya.data == a(FeatureMap(copy), workspace: ws).tensor().data)
        #expect(yb.data == b(FeatureMap(copy), workspace: ws).tensor().data)
        // relu(sum(shared) + shared) written into shared's buffer; then `a` must read the new values.
        let written = sum(shared, relu: true, accumulate: shared, workspace: ws)
        // In place; where the CPU has bf16 units the sum is stored bf16 instead (`Int8Convolution.sumsInBF16`), a new map.
        #expect(written === shared || (CPUFeatures.current.hasBF16Units && written.type == .bf16), "the sum was written in place")
        let now = written.tensor()
        #expect(now.data != copy.data)
        #expect(a(written, workspace: ws).tensor().data == a(FeatureMap(now), workspace: ws).tensor().data)
    }

    /// A projection shortcut that an int8 layer sums is stored as the sum is (bf16 where the CPU has bf16 units): its
    /// fp32 output rounded, bit for bit, and the block's output is what it is on the fp32-stored shortcut.
    @Test func aProjectionShortcutIsStoredAsTheSumThatReadsIt() throws {
        let c = 32, h = 6, w = 5
        let step = Int8Calibration.Input(threshold: 4, signed: false, rule: "test")
        let calibration = Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: ["down": step, "conv3": step])
        let engine = ComputeEngine(backend: .auto, precision: .int8, calibration: calibration)
        func conv(_ name: String, _ seed: UInt64) -> Conv2D {
            Conv2D(weight: values(c * c, seed, -0.2, 0.2), bias: values(c, seed + 1, -0.5, 0.5), outChannels: c, inChannels: c,
                   kernel: 1, engine: engine, name: name)
        }
        let down = conv("down", 21), conv3 = conv("conv3", 23)
        let x = FeatureMap(Tensor(shape: [1, c, h, w], data: values(c * h * w, 25, 0, 2)))
        let z = FeatureMap(Tensor(shape: [1, c, h, w], data: values(c * h * w, 27, 0, 2)))
        let plain = down(x, workspace: ws).tensor(), stored = down(x, summedBy: conv3, workspace: ws)
        let bf16 = CPUFeatures.current.hasBF16Units
        #expect(stored.type == (bf16 ? .bf16 : .f32))
        #expect(stored.tensor().data == (bf16 ? BF16.round(plain.data) : plain.data))
        let sum = conv3(z, relu: true, accumulate: stored, workspace: ws).tensor()
        #expect(sum.data == conv3(z, relu: true, accumulate: FeatureMap(plain), workspace: ws).tensor().data)
    }

    /// An int8 stem (3 input channels) feeding an int8 layer through max pooling stores that layer's input (u8 with
    /// its step), which pooling keeps: the layer computes what it computes on the fp32-stored, pooled stem output
    /// (to the rounding of the requantizing kernel, as in `storesTheNextLayersInput`).
    @Test func anInt8StemStoresItsReadersInputThroughPooling() throws {
        let image = Int8Calibration.Input(threshold: 2.64, signed: true, rule: "test")
        let next = Int8Calibration.Input(threshold: 3, signed: false, rule: "test")
        let calibration = Int8Calibration(model: "test", weights: "0", shortSide: 0, frames: 1, inputs: ["stem": image, "next": next])
        let engine = ComputeEngine(backend: .auto, precision: .int8, calibration: calibration)
        let stem = Conv2D(weight: values(16 * 3 * 49, 31, -0.1, 0.1), bias: values(16, 32, -0.5, 0.5), outChannels: 16,
                          inChannels: 3, kernel: 7, stride: 2, padding: 3, engine: engine, name: "stem")
        let reader = Conv2D(weight: values(32 * 16, 33, -0.2, 0.2), bias: values(32, 34, -1, 1), outChannels: 32, inChannels: 16,
                            kernel: 1, engine: engine, name: "next")
        let x = FeatureMap(Tensor(shape: [1, 3, 40, 36], data: values(3 * 40 * 36, 35, -2.1, 2.6)))
        let pooled = Resample.maxPool(stem(x, relu: true, feeding: reader, workspace: ws), kernel: 3, stride: 2, padding: 1)
        #expect(stem.choice == .int8Direct)
        #expect(pooled.type == .u8)
        let float = Resample.maxPool(stem(x, relu: true, workspace: ws), kernel: 3, stride: 2, padding: 1)
        let a = reader(pooled, workspace: ws).tensor(), b = reader(float, workspace: ws).tensor()
        #expect(OpFixtures.maxRelativeError(a, b) < 1e-4, "\(OpFixtures.maxRelativeError(a, b))")
    }
}
