#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// A convolution, transposed convolution or fully connected layer on oneDNN: weights reordered once into the layout
/// the JIT kernel wants (bf16 when `bf16`), one primitive per input shape in a bounded cache (least recently used
/// out), NCHW / [N, features] fp32 tensors in and out (reordered to and from the kernel's blocked layout around it).
/// Thread-safe: the cache is locked, execution is not.
final class DNNLLayer: @unchecked Sendable {
    enum Op: Sendable {
        case conv(kernel: Int, stride: Int, padding: Int)
        case deconv(kernel: Int, stride: Int, padding: Int)
        case linear
    }

    let op: Op
    let inC: Int
    let outC: Int
    let bf16: Bool
    private let weights: [Float]
    private let bias: [Float]
    /// Weights in the layout of the first plan built; later plans that want the same layout share them.
    private var prepared: (md: dnnl_memory_desc_t, memory: OpaquePointer)?
    private var plans: [Key: DNNLPlan] = [:]
    private var order: [Key] = []
    private var lock = pthread_mutex_t()
    /// Most primitives kept per layer: frames of a few sizes and the RoI chunk sizes fit, memory stays bounded.
    static let cacheLimit = 12
    /// RoI batches run in power-of-two chunks up to this many maps (convolutions) or rows (linear), so any
    /// batch size needs at most log₂ distinct primitives.
    static let convChunk = 32, linearChunk = 512

    /// One primitive's shape and post-ops; `stride` 0 is the layer's own stride (a 1×1 convolution may also run
    /// strided in a blocked chain, where subsampling first would cost a pass).
    struct Key: Hashable {
        let n: Int, h: Int, w: Int, relu: Bool, residual: Bool
        var stride = 0
    }

    /// `weights` in PyTorch's layout: conv [out, in, k, k], deconv [in, out, k, k], linear [out, in].
    init(op: Op, weights: [Float], bias: [Float], inC: Int, outC: Int, bf16: Bool) {
        self.op = op
        self.inC = inC
        self.outC = outC
        self.bf16 = bf16
        self.weights = weights
        self.bias = bias
        pthread_mutex_init(&lock, nil)
        // Prepare the weights at load, for a representative shape.
        switch op {
        case .linear: _ = plan(Key(n: 64, h: 1, w: 1, relu: false, residual: false))
        case .conv(let k, _, _), .deconv(let k, _, _):
            let side = max(32, 4 * k)
            _ = plan(Key(n: 1, h: side, w: side, relu: false, residual: false))
        }
    }

    deinit {
        if let p = prepared { dnnl_memory_destroy(p.memory) }
        pthread_mutex_destroy(&lock)
    }

    /// The implementation oneDNN chose for the most recently built primitive (e.g. "jit_1x1:avx2").
    var implementation: String {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return order.last.flatMap { plans[$0]?.implementation } ?? "?"
    }

    func outputSize(h: Int, w: Int, stride: Int = 0) -> (h: Int, w: Int) {
        switch op {
        case .linear: return (1, 1)
        case .conv(let k, let s0, let p):
            let s = stride > 0 ? stride : s0
            return ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
        case .deconv(let k, let s, let p): return ((h - 1) * s - 2 * p + k, (w - 1) * s - 2 * p + k)
        }
    }

    /// y = relu?(op(x) + bias + residual?) for x [N, inC, H, W] (linear: [N, inC]).
    func run(_ x: Tensor, relu: Bool, residual: Tensor?, workspace: Workspace) -> Tensor {
        let linear: Bool
        if case .linear = op { linear = true } else { linear = false }
        let n = x.shape[0], h = linear ? 1 : x.h, w = linear ? 1 : x.w
        let (oh, ow) = outputSize(h: h, w: w)
        let inPer = inC * h * w, outPer = outC * oh * ow
        let shape = linear ? [n, outC] : [n, outC, oh, ow]
        if n == 0 { return Tensor(zeros: shape) }
        let chunkLimit = n == 1 ? 1 : (linear ? DNNLLayer.linearChunk : DNNLLayer.convChunk)
        return Tensor(shape: shape) { o in
            x.data.withUnsafeBufferPointer { xp in
                residual.withData { rp in
                    var start = 0
                    while start < n {
                        var c = chunkLimit
                        while c > n - start { c /= 2 }
                        let p = plan(Key(n: c, h: h, w: w, relu: relu, residual: residual != nil))
                        p.execute(src: xp.baseAddress! + start * inPer, dst: o.baseAddress! + start * outPer,
                                  residual: rp.map { $0 + start * outPer }, workspace: workspace)
                        start += c
                    }
                }
            }
        }
    }

    /// y = relu?(op(x) + bias + accumulate?) for a convolution, in the kernel's layout: `x` is reordered only when
    /// its layout is not the one the primitive reads; `accumulate` (the residual, in the output's shape) is consumed —
    /// its buffer receives the result when its layout is the primitive's output layout. Whole batch, one primitive.
    func runBlocked(_ x: BlockedTensor, relu: Bool, stride: Int = 0, accumulate: BlockedTensor? = nil) -> BlockedTensor {
        precondition(x.c == inC, "oneDNN layer expects \(inC) channels, got \(x.shape)")
        let p = plan(Key(n: x.n, h: x.h, w: x.w, relu: relu, residual: accumulate != nil, stride: stride))
        let src = DNNL.equal(x.md, p.src) ? x : x.converted(to: p.src)
        let dst: BlockedTensor
        if let accumulate {
            precondition(accumulate.shape == BlockedTensor.dims(p.dst), "residual shape \(accumulate.shape)")
            dst = DNNL.equal(accumulate.md, p.dst) ? accumulate : accumulate.converted(to: p.dst)
        } else {
            dst = BlockedTensor(md: p.dst)
        }
        p.execute(blockedSrc: src.data, dst: dst.data)
        return dst
    }

    /// The layout the primitive for an input of this size reads (for benchmarks that feed it directly).
    func sourceLayout(n: Int, h: Int, w: Int) -> dnnl_memory_desc_t { plan(Key(n: n, h: h, w: w, relu: true, residual: false)).src }

    /// The cached plan for `key`, built (and the oldest dropped) when missing.
    private func plan(_ key: Key) -> DNNLPlan {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let p = plans[key] {
            if order.last != key { order.removeAll { $0 == key }; order.append(key) }
            return p
        }
        let p = DNNLPlan(layer: self, key: key)
        plans[key] = p
        order.append(key)
        if order.count > DNNLLayer.cacheLimit { plans[order.removeFirst()] = nil }
        return p
    }

    /// Weights memory for a primitive that wants `md`: the prepared copy when the layout matches, else a new reorder
    /// (`owned` tells the caller to destroy it).
    func weightsMemory(for md: dnnl_memory_desc_t) -> (memory: OpaquePointer, owned: Bool) {
        if let p = prepared, DNNL.equal(p.md, md) { return (p.memory, false) }
        let user: dnnl_memory_desc_t
        switch op {
        case .linear: user = DNNL.md([outC, inC], dnnl_f32, dnnl_oi)
        case .conv(let k, _, _): user = DNNL.md([outC, inC, k, k], dnnl_f32, dnnl_oihw)
        case .deconv(let k, _, _): user = DNNL.md([outC, inC, k, k], dnnl_f32, dnnl_iohw)
        }
        let mem = DNNL.memory(md, nil)
        var handle: UnsafeMutableRawPointer? = nil
        dnnl_memory_get_data_handle(mem, &handle)
        weights.withUnsafeBytes { DNNL.reorder(from: user, $0.baseAddress!, to: md, handle!) }
        if prepared == nil { prepared = (md, mem); return (mem, false) }
        return (mem, true)
    }

    func withBias<R>(_ body: (UnsafeRawPointer) -> R) -> R { bias.withUnsafeBytes { body($0.baseAddress!) } }
}
