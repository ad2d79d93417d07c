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
    private var plans: [Key: Plan] = [:]
    private var order: [Key] = []
    private var lock = pthread_mutex_t()
    /// Most primitives kept per layer: frames of a few sizes and the RoI chunk sizes fit, memory stays bounded.
    static let cacheLimit = 12
    /// RoI batches run in power-of-two chunks up to this many maps (convolutions) or rows (linear), so any
    /// batch size needs at most log₂ distinct primitives.
    static let convChunk = 32, linearChunk = 512

    struct Key: Hashable { let n: Int, h: Int, w: Int, relu: Bool, residual: Bool }

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

    func outputSize(h: Int, w: Int) -> (h: Int, w: Int) {
        switch op {
        case .linear: return (1, 1)
        case .conv(let k, let s, let p): return ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
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

    /// The cached plan for `key`, built (and the oldest dropped) when missing.
    private func plan(_ key: Key) -> Plan {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let p = plans[key] {
            if order.last != key { order.removeAll { $0 == key }; order.append(key) }
            return p
        }
        let p = Plan(layer: self, key: key)
        plans[key] = p
        order.append(key)
        if order.count > DNNLLayer.cacheLimit { plans[order.removeFirst()] = nil }
        return p
    }

    /// Weights memory for a primitive that wants `md`: the prepared copy when the layout matches, else a new reorder
    /// (`owned` tells the caller to destroy it).
    fileprivate func weightsMemory(for md: dnnl_memory_desc_t) -> (memory: OpaquePointer, owned: Bool) {
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
        let r = DNNL.reorder(user, md)
        weights.withUnsafeBytes { DNNL.reorder(r, from: user, $0.baseAddress!, to: md, handle!) }
        dnnl_primitive_destroy(r)
        if prepared == nil { prepared = (md, mem); return (mem, false) }
        return (mem, true)
    }

    fileprivate func withBias<R>(_ body: (UnsafeRawPointer) -> R) -> R { bias.withUnsafeBytes { body($0.baseAddress!) } }
}

/// One primitive for one input shape, with the reorders around it.
private final class Plan {
    let primitive: OpaquePointer
    let implementation: String
    let userSrc: dnnl_memory_desc_t, userDst: dnnl_memory_desc_t
    let src: dnnl_memory_desc_t, dst: dnnl_memory_desc_t
    let toSrc: OpaquePointer?, toDst: OpaquePointer?, fromDst: OpaquePointer?
    let weights: OpaquePointer, ownsWeights: Bool
    let biasMD: dnnl_memory_desc_t
    unowned let layer: DNNLLayer

    init(layer: DNNLLayer, key: DNNLLayer.Key) {
        self.layer = layer
        let n = key.n, dt = layer.bf16 ? dnnl_bf16 : dnnl_f32
        let (oh, ow) = layer.outputSize(h: key.h, w: key.w)
        var weightsAny: dnnl_memory_desc_t
        var srcAny: dnnl_memory_desc_t, dstAny: dnnl_memory_desc_t
        var biasMD = DNNL.md([layer.outC], dnnl_f32, dnnl_x)
        // The op descriptor, typed per op (they differ in size).
        var ipDesc = dnnl_inner_product_desc_t(), convDesc = dnnl_convolution_desc_t()
        var isLinear = false
        switch layer.op {
        case .linear:
            userSrc = DNNL.md([n, layer.inC], dnnl_f32, dnnl_nc)
            userDst = DNNL.md([n, layer.outC], dnnl_f32, dnnl_nc)
            srcAny = DNNL.md([n, layer.inC], dt, dnnl_format_tag_any)
            dstAny = userDst
            weightsAny = DNNL.md([layer.outC, layer.inC], dt, dnnl_format_tag_any)
            isLinear = true
            DNNL.check(dnnl_inner_product_forward_desc_init(&ipDesc, dnnl_forward_inference, &srcAny, &weightsAny, &biasMD, &dstAny),
                       "inner product desc")
        case .conv(let k, let s, let p), .deconv(let k, let s, let p):
            userSrc = DNNL.md([n, layer.inC, key.h, key.w], dnnl_f32, dnnl_nchw)
            userDst = DNNL.md([n, layer.outC, oh, ow], dnnl_f32, dnnl_nchw)
            srcAny = DNNL.md([n, layer.inC, key.h, key.w], dt, dnnl_format_tag_any)
            dstAny = DNNL.md([n, layer.outC, oh, ow], dnnl_f32, dnnl_format_tag_any)
            weightsAny = DNNL.md([layer.outC, layer.inC, k, k], dt, dnnl_format_tag_any)
            let strides: [dnnl_dim_t] = [dnnl_dim_t(s), dnnl_dim_t(s)], pads: [dnnl_dim_t] = [dnnl_dim_t(p), dnnl_dim_t(p)]
            var isDeconv = false
            if case .deconv = layer.op { isDeconv = true }
            // dnnl_deconvolution_desc_t is the same struct as dnnl_convolution_desc_t.
            if isDeconv {
                DNNL.check(dnnl_deconvolution_forward_desc_init(&convDesc, dnnl_forward_inference, dnnl_deconvolution_direct,
                    &srcAny, &weightsAny, &biasMD, &dstAny, strides, pads, pads), "deconvolution desc")
            } else {
                DNNL.check(dnnl_convolution_forward_desc_init(&convDesc, dnnl_forward_inference, dnnl_convolution_direct,
                    &srcAny, &weightsAny, &biasMD, &dstAny, strides, pads, pads), "convolution desc")
            }
        }
        self.biasMD = biasMD
        // Post-ops: residual sum (dst holds the residual before the primitive runs), then ReLU.
        var attr: dnnl_primitive_attr_t? = nil, postOps: dnnl_post_ops_t? = nil
        DNNL.check(dnnl_primitive_attr_create(&attr), "attr")
        DNNL.check(dnnl_post_ops_create(&postOps), "post ops")
        if key.residual { DNNL.check(dnnl_post_ops_append_sum(postOps, 1), "sum post-op") }
        if key.relu { DNNL.check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "relu post-op") }
        DNNL.check(dnnl_primitive_attr_set_post_ops(attr, postOps), "set post ops")
        var pd: dnnl_primitive_desc_t? = nil
        let status = isLinear ? dnnl_primitive_desc_create(&pd, &ipDesc, attr, DNNL.engine, nil)
                              : dnnl_primitive_desc_create(&pd, &convDesc, attr, DNNL.engine, nil)
        DNNL.check(status, "primitive desc (\(layer.op), \(key))")
        dnnl_post_ops_destroy(postOps)
        dnnl_primitive_attr_destroy(attr)
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = DNNL.implementation(pd!)
        src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0).pointee
        dst = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0).pointee
        let wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0).pointee
        var p: dnnl_primitive_t? = nil
        DNNL.check(dnnl_primitive_create(&p, pd), "primitive")
        primitive = p!
        toSrc = DNNL.equal(src, userSrc) ? nil : DNNL.reorder(userSrc, src)
        let plainDst = DNNL.equal(dst, userDst)
        fromDst = plainDst ? nil : DNNL.reorder(dst, userDst)
        toDst = plainDst || !key.residual ? nil : DNNL.reorder(userDst, dst)
        (weights, ownsWeights) = layer.weightsMemory(for: wmd)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        for r in [toSrc, toDst, fromDst] { if let r { dnnl_primitive_destroy(r) } }
        if ownsWeights { dnnl_memory_destroy(weights) }
    }

    /// One chunk: `src` and `dst` (and `residual`) in the user layouts.
    func execute(src srcPtr: UnsafePointer<Float>, dst dstPtr: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
                 workspace: Workspace) {
        var srcData = UnsafeMutableRawPointer(mutating: srcPtr)
        if let toSrc {
            let buf = UnsafeMutableRawPointer(workspace.buffer(2, count: DNNL.bytes(src) / 4 + 16))
            DNNL.reorder(toSrc, from: userSrc, srcPtr, to: src, buf)
            srcData = buf
        }
        var dstData = UnsafeMutableRawPointer(dstPtr)
        if fromDst != nil { dstData = UnsafeMutableRawPointer(workspace.buffer(3, count: DNNL.bytes(dst) / 4 + 16)) }
        if let residual {
            if let toDst { DNNL.reorder(toDst, from: userDst, residual, to: dst, dstData) }
            else { dstData.copyMemory(from: residual, byteCount: DNNL.bytes(userDst)) }
        }
        let s = DNNL.memory(src, srcData), d = DNNL.memory(dst, dstData)
        let b = layer.withBias { DNNL.memory(biasMD, UnsafeMutableRawPointer(mutating: $0)) }
        DNNL.execute(primitive, [(DNNL_ARG_SRC, s), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_BIAS, b), (DNNL_ARG_DST, d)])
        dnnl_memory_destroy(s); dnnl_memory_destroy(d); dnnl_memory_destroy(b)
        if let fromDst { DNNL.reorder(fromDst, from: dst, dstData, to: userDst, dstPtr) }
    }
}
