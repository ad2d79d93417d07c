/// A fully connected layer y = x·Wᵀ + b: weights [out, in] (PyTorch's layout), input [N, in], output [N, out] fp32.
/// On OpenBLAS (sgemm, the reference) or oneDNN's inner product (`auto` and `onednn`; bf16: bf16 source and weights,
/// fp32 accumulation and output), rows in power-of-two chunks of at most 512. Immutable, thread-safe.
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: [Float]
    public let bias: [Float]
    public let engine: ComputeEngine
    let onednn: DNNLLayer?
    /// The weights the fp32 path multiplies (rounded to bf16 in the emulation).
    let products: [Float]

    /// Rows per oneDNN primitive (power-of-two chunks of at most this many).
    static let chunk = 512

    public init(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int, engine: ComputeEngine = .reference) {
        precondition(weight.count == inFeatures * outFeatures && bias.count == outFeatures, "linear sizes")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.engine = engine
        self.weight = weight
        self.bias = bias
        products = engine.emulatesBF16 ? BF16.round(weight) : weight
        onednn = engine.backend != .openblas
            ? DNNLLayer(op: .linear, weights: products, bias: bias, inC: inFeatures, outC: outFeatures,
                        compute: engine.precision == .bf16 ? .bf16 : .f32, store: .f32)
            : nil
    }

    /// The implementation that runs this layer.
    public var implementation: String {
        let name = onednn.map { "oneDNN \($0.implementation)" } ?? "OpenBLAS sgemm"
        return engine.emulatesBF16 ? "\(name), bf16 emulated" : name
    }

    /// y = relu?(x·Wᵀ + b) for x [N, in] (any shape of N·in values) → [N, out]; `workspace` is unused (kept for
    /// callers that pass one).
    public func callAsFunction(_ x: Tensor, relu: Bool = false, workspace: Workspace? = nil) -> Tensor {
        let n = x.count / inFeatures
        precondition(n * inFeatures == x.count, "linear expects [N,\(inFeatures)], got \(x.shape)")
        let x = engine.emulatesBF16 ? BF16.round(x) : x
        if let onednn {
            return RoIChunks.map(x.reshaped([n, inFeatures]), limit: Linear.chunk, empty: Tensor(zeros: [0, outFeatures])) {
                onednn.run($0, relu: relu)
            }
        }
        var out = Tensor(shape: [n, outFeatures]) { o in
            for r in 0..<n { for j in 0..<outFeatures { o[r * outFeatures + j] = bias[j] } }
        }
        if n > 0 {
            x.data.withUnsafeBufferPointer { xp in
                products.withUnsafeBufferPointer { wp in
                    out.data.withUnsafeMutableBufferPointer { op in
                        GEMM.multiply(using: engine.sgemmLibrary, m: n, n: outFeatures, k: inFeatures, a: xp.baseAddress!,
                                      lda: inFeatures, transA: false, b: wp.baseAddress!, ldb: inFeatures, transB: true,
                                      c: op.baseAddress!, ldc: outFeatures, accumulate: true)
                    }
                }
            }
        }
        if relu { out.relu() }
        return out
    }
}
