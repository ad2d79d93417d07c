#if canImport(Glibc)
import Glibc
#endif
import CDNNL
import Synchronization

/// A convolution, transposed convolution or fully connected layer on one oneDNN primitive kind: weights reordered once
/// into the layout and type the kernel wants, one primitive per input shape in a bounded cache (least recently used
/// out), with bias, residual sum and ReLU as post-ops. `compute` is the type of source and weights (bf16: oneDNN's
/// bf16 kernels, fp32 accumulation), `store` the type of the destination. Thread-safe: the cache is locked,
/// execution is not.
final class DNNLLayer: @unchecked Sendable {
    enum Op: Sendable {
        case conv(kernel: Int, stride: Int, padding: Int)
        case deconv(kernel: Int, stride: Int, padding: Int)
        case linear
    }

    let op: Op
    let inC: Int
    let outC: Int
    let compute: DataType
    let store: DataType
    private let weights: [Float]
    private let bias: [Float]
    /// Weights in the layout of the first plan built; later plans that want the same layout share them.
    private var prepared: (md: MemoryDesc, memory: OpaquePointer)?
    private var plans: [Key: DNNLPlan] = [:]
    private var order: [Key] = []
    private let lock = Mutex(())
    /// Most primitives kept per layer: frames of a few sizes and the RoI chunk sizes fit, memory stays bounded.
    static let cacheLimit = 12

    /// One primitive's shape and post-ops; `stride` 0 is the layer's own stride (a 1×1 convolution may also run
    /// strided in a chain, where subsampling first would cost a pass). `plainIO`: NCHW / [N, C] fp32 source and
    /// destination (the kernel reorders around the primitive) instead of the primitive's own layouts.
    struct Key: Hashable {
        let n: Int, h: Int, w: Int, relu: Bool, residual: Bool
        var stride = 0
        var plainIO = false
    }

    /// `weights` in PyTorch's layout: conv [out, in, k, k], deconv [in, out, k, k], linear [out, in].
    init(op: Op, weights: [Float], bias: [Float], inC: Int, outC: Int, compute: DataType, store: DataType) {
        self.op = op
        self.inC = inC
        self.outC = outC
        self.compute = compute
        self.store = store
        self.weights = weights
        self.bias = bias
    }

    deinit {
        if let p = prepared { dnnl_memory_destroy(p.memory) }
    }

    /// The implementation oneDNN chose for the most recently built primitive (e.g. "brgconv:avx512_core_bf16"); at
    /// construction a representative shape's.
    var implementation: String {
        lock.withLock { _ in
            if let last = order.last, let p = plans[last] { return p.implementation }
            return "?"
        }
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

    /// y = relu?(op(x) + bias + residual?) for dense fp32 x [N, inC, H, W] (linear: [N, inC]) into a dense fp32
    /// tensor, one primitive for the whole batch.
    func run(_ x: Tensor, relu: Bool, residual: Tensor? = nil) -> Tensor {
        let linear: Bool
        if case .linear = op { linear = true } else { linear = false }
        let n = x.shape[0], h = linear ? 1 : x.h, w = linear ? 1 : x.w
        let (oh, ow) = outputSize(h: h, w: w)
        let shape = linear ? [n, outC] : [n, outC, oh, ow]
        if n == 0 { return Tensor(zeros: shape) }
        let p = plan(Key(n: n, h: h, w: w, relu: relu, residual: residual != nil, plainIO: true))
        return Tensor(shape: shape) { o in
            x.data.withUnsafeBufferPointer { xp in
                residual.withData { rp in
                    p.execute(src: xp.baseAddress!, dst: o.baseAddress!, residual: rp)
                }
            }
        }
    }

    /// y = relu?(op(x) + bias + accumulate?) in the kernel's layout: `x` is converted only when its layout or type is
    /// not the one the primitive reads; `accumulate` (the residual, in the output's shape) is consumed — its buffer
    /// receives the result when its layout is the primitive's output layout. Whole batch, one primitive.
    func run(_ x: FeatureMap, relu: Bool, stride: Int = 0, accumulate: FeatureMap? = nil) -> FeatureMap {
        precondition(x.c == inC, "oneDNN layer expects \(inC) channels, got \(x.shape)")
        let p = plan(Key(n: x.n, h: x.h, w: x.w, relu: relu, residual: accumulate != nil, stride: stride))
        let src = x.laidOut(as: p.src)
        let dst = FeatureMap.destination(p.dst, accumulating: accumulate)
        p.execute(blockedSrc: src.data, dst: dst.data)
        return dst
    }

    /// The layout the primitive for an input of this size reads (for benchmarks that feed it directly).
    func sourceLayout(n: Int, h: Int, w: Int) -> MemoryDesc { plan(Key(n: n, h: h, w: w, relu: true, residual: false)).src }

    /// The cached plan for `key`, built (and the oldest dropped) when missing.
    func plan(_ key: Key) -> DNNLPlan {
        lock.withLock { _ in
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
    }

    /// Weights memory for a primitive that wants `md`: the prepared copy when the layout matches, else a new reorder
    /// (`owned` tells the caller to destroy it).
    func weightsMemory(for md: MemoryDesc) -> (memory: OpaquePointer, owned: Bool) {
        if let p = prepared, p.md == md { return (p.memory, false) }
        let user: MemoryDesc
        switch op {
        case .linear: user = MemoryDesc([outC, inC], .f32, dnnl_oi)
        case .conv(let k, _, _): user = MemoryDesc([outC, inC, k, k], .f32, dnnl_oihw)
        case .deconv(let k, _, _): user = MemoryDesc([outC, inC, k, k], .f32, dnnl_iohw)
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

extension Optional where Wrapped == Tensor {
    func withData<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .none: return body(nil)
        case .some(let t): return t.data.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }
}
