/// A fully connected layer y = x·Wᵀ + b: weights [out, in] (PyTorch's layout), input [N, in], output [N, out] fp32.
/// Its kernel (`LinearKernel`) is prepared once, at construction, for the engine: sgemm (the reference) on `openblas`,
/// oneDNN's inner product on `auto` and `onednn` (bf16: bf16 source and weights, fp32 accumulation and output), int8
/// (`Int8Linear`) on an int8 engine whose calibration has the layer's input (`name`: its checkpoint name; "" for
/// decision layers, which never run int8). Immutable, thread-safe.
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    /// The fp32 weights (empty when the layer runs int8: they are held quantized).
    public let weight: [Float]
    public let bias: [Float]
    public let engine: ComputeEngine
    public let name: String
    let kernel: any LinearKernel

    public init(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int, engine: ComputeEngine = .reference,
                name: String = "") {
        precondition(weight.count == inFeatures * outFeatures && bias.count == outFeatures, "linear sizes")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.engine = engine
        self.bias = bias
        self.name = name
        let int8 = engine.int8Input(of: name)
        self.weight = int8 == nil ? weight : []
        kernel = engine.linearKernel(weight: weight, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures, int8Input: int8)
    }

    /// The implementation that runs this layer.
    public var implementation: String { kernel.implementation }

    /// y = relu?(x·Wᵀ + b) for x [N, in] (any shape of N·in values) → [N, out]; `workspace` is unused (kept for
    /// callers that pass one).
    public func callAsFunction(_ x: Tensor, relu: Bool = false, workspace: Workspace? = nil) -> Tensor {
        let n = x.count / inFeatures
        precondition(n * inFeatures == x.count, "linear expects [N,\(inFeatures)], got \(x.shape)")
        if !name.isEmpty { engine.observer?.record(name, x) }
        return kernel.run(x, rows: n, relu: relu)
    }
}

/// One prepared implementation of a fully connected layer (weights already in the layout and type it reads):
/// x [N, in] fp32 → relu?(x·Wᵀ + b) [N, out] fp32. Any thread.
protocol LinearKernel: AnyObject, Sendable {
    /// e.g. "oneDNN brgemm:avx512_core_bf16", "OpenBLAS sgemm".
    var implementation: String { get }
    func run(_ x: Tensor, rows: Int, relu: Bool) -> Tensor
}

/// sgemm on PyTorch's [out, in] layout with the engine's sgemm library: the reference.
final class GEMMLinear: LinearKernel {
    let weight: [Float], bias: [Float]
    let inFeatures: Int, outFeatures: Int
    let library: ComputeBackend

    init(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int, library: ComputeBackend) {
        (self.weight, self.bias, self.inFeatures, self.outFeatures, self.library) = (weight, bias, inFeatures, outFeatures, library)
    }

    var implementation: String { "\(library.libraryName) sgemm" }

    func run(_ x: Tensor, rows n: Int, relu: Bool) -> Tensor {
        let outF = outFeatures, inF = inFeatures
        var out = Tensor(shape: [n, outF]) { o in
            for r in 0..<n { for j in 0..<outF { o[r * outF + j] = bias[j] } }
        }
        if n > 0 {
            x.data.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    out.data.withUnsafeMutableBufferPointer { op in
                        GEMM.multiply(using: library, m: n, n: outF, k: inF, a: xp.baseAddress!, lda: inF, transA: false,
                                      b: wp.baseAddress!, ldb: inF, transB: true, c: op.baseAddress!, ldc: outF, accumulate: true)
                    }
                }
            }
        }
        if relu { out.relu() }
        return out
    }
}

/// oneDNN's inner product (bf16: bf16 source and weights, fp32 accumulation and output), rows in power-of-two
/// chunks of at most `chunk`, so few primitives serve any RoI count.
final class DNNLLinear: LinearKernel {
    let layer: DNNLLayer
    /// Rows per oneDNN primitive.
    static let chunk = 512

    init(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int, compute: DataType) {
        layer = DNNLLayer(op: .linear, weights: weight, bias: bias, inC: inFeatures, outC: outFeatures, compute: compute, store: .f32)
    }

    var implementation: String { "oneDNN \(layer.implementation)" }

    func run(_ x: Tensor, rows n: Int, relu: Bool) -> Tensor {
        RoIChunks.map(x.reshaped([n, layer.inC]), limit: DNNLLinear.chunk, empty: Tensor(zeros: [0, layer.outC])) {
            layer.run($0, relu: relu)
        }
    }
}

/// int8 on oneDNN's int8 1×1 convolution (`Int8Convolution`): the rows are the pixels of one NHWC image [1, in, N, 1]
/// (the layout of x [N, in] itself), weights s8 per output, the input quantized with its calibrated step; rows in
/// power-of-two chunks of at most `DNNLLinear.chunk`.
final class Int8Linear: LinearKernel {
    let conv: Int8Convolution
    let inFeatures: Int, outFeatures: Int

    init(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int, input: Int8Calibration.Input) {
        let g = ConvolutionGeometry(outChannels: outFeatures, inChannels: inFeatures, kernel: 1, stride: 1, padding: 0)
        conv = Int8Convolution(g, weights: weight, bias: bias, input: input)
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
    }

    var implementation: String { "\(conv.implementation) (rows as pixels)" }

    func run(_ x: Tensor, rows n: Int, relu: Bool) -> Tensor {
        RoIChunks.map(x.reshaped([n, inFeatures]), limit: DNNLLinear.chunk, empty: Tensor(zeros: [0, outFeatures])) { rows in
            conv.run(FeatureMap(rows: rows), relu: relu).channelsLast().reshaped([rows.n, outFeatures])
        }
    }
}

/// bf16 on fp32 kernels: `inner` holds weights rounded to bf16; each input is rounded before it runs.
final class EmulatedBF16Linear: LinearKernel {
    let inner: any LinearKernel, draw: BF16.Draw
    init(_ inner: any LinearKernel, draw: BF16.Draw) { (self.inner, self.draw) = (inner, draw) }
    var implementation: String { "\(inner.implementation), bf16 emulated" }
    func run(_ x: Tensor, rows: Int, relu: Bool) -> Tensor { inner.run(BF16.round(x, draw: draw), rows: rows, relu: relu) }
}

extension ComputeEngine {
    /// The kernel a fully connected layer runs on this engine, prepared once: sgemm on `openblas`, oneDNN's inner
    /// product otherwise (in the engine's precision; emulated bf16: rounded weights and inputs on fp32 kernels).
    func linearKernel(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int,
                      int8Input: Int8Calibration.Input? = nil) -> any LinearKernel {
        if let int8Input { return Int8Linear(weight: weight, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures, input: int8Input) }
        let w = emulatesBF16 ? BF16.round(weight) : weight
        let kernel: any LinearKernel = backend == .openblas
            ? GEMMLinear(weight: w, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures, library: sgemmLibrary)
            : DNNLLinear(weight: w, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures, compute: precision == .bf16 ? .bf16 : .f32)
        return emulatesBF16 ? EmulatedBF16Linear(kernel, draw: bf16Draw) : kernel
    }
}
