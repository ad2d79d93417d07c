/// A fully connected layer y = x·Wᵀ + b: weights [out, in] (PyTorch's layout), input [N, in], output [N, out] fp32.
/// Its kernel (`LinearKernel`) is prepared once, at construction, for the engine: sgemm (the reference) on `openblas`,
/// oneDNN's inner product on `auto` and `onednn` (bf16: bf16 source and weights, fp32 accumulation and output).
/// Immutable, thread-safe.
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: [Float]
    public let bias: [Float]
    public let engine: ComputeEngine
    let kernel: any LinearKernel

    public init(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int, engine: ComputeEngine = .reference) {
        precondition(weight.count == inFeatures * outFeatures && bias.count == outFeatures, "linear sizes")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.engine = engine
        self.weight = weight
        self.bias = bias
        kernel = engine.linearKernel(weight: weight, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// The implementation that runs this layer.
    public var implementation: String { kernel.implementation }

    /// y = relu?(x·Wᵀ + b) for x [N, in] (any shape of N·in values) → [N, out]; `workspace` is unused (kept for
    /// callers that pass one).
    public func callAsFunction(_ x: Tensor, relu: Bool = false, workspace: Workspace? = nil) -> Tensor {
        let n = x.count / inFeatures
        precondition(n * inFeatures == x.count, "linear expects [N,\(inFeatures)], got \(x.shape)")
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

/// bf16 on fp32 kernels: `inner` holds weights rounded to bf16; each input is rounded before it runs.
final class EmulatedBF16Linear: LinearKernel {
    let inner: any LinearKernel
    init(_ inner: any LinearKernel) { self.inner = inner }
    var implementation: String { "\(inner.implementation), bf16 emulated" }
    func run(_ x: Tensor, rows: Int, relu: Bool) -> Tensor { inner.run(BF16.round(x), rows: rows, relu: relu) }
}

extension ComputeEngine {
    /// The kernel a fully connected layer runs on this engine, prepared once: sgemm on `openblas`, oneDNN's inner
    /// product otherwise (in the engine's precision; emulated bf16: rounded weights and inputs on fp32 kernels).
    func linearKernel(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int) -> any LinearKernel {
        let w = emulatesBF16 ? BF16.round(weight) : weight
        let kernel: any LinearKernel = backend == .openblas
            ? GEMMLinear(weight: w, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures, library: sgemmLibrary)
            : DNNLLinear(weight: w, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures, compute: precision == .bf16 ? .bf16 : .f32)
        return emulatesBF16 ? EmulatedBF16Linear(kernel) : kernel
    }
}
