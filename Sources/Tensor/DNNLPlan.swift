#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// One primitive for one input shape, with the reorders around it.
final class DNNLPlan {
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
        let (oh, ow) = layer.outputSize(h: key.h, w: key.w, stride: key.stride)
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
        case .conv(let k, var s, let p), .deconv(let k, var s, let p):
            if key.stride > 0 { s = key.stride }
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

    /// The whole batch with `src` and `dst` already in the primitive's layouts (`dst` holds the residual if any).
    func execute(blockedSrc srcData: UnsafeMutableRawPointer, dst dstData: UnsafeMutableRawPointer) {
        let s = DNNL.memory(src, srcData), d = DNNL.memory(dst, dstData)
        let b = layer.withBias { DNNL.memory(biasMD, UnsafeMutableRawPointer(mutating: $0)) }
        DNNL.execute(primitive, [(DNNL_ARG_SRC, s), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_BIAS, b), (DNNL_ARG_DST, d)])
        dnnl_memory_destroy(s); dnnl_memory_destroy(d); dnnl_memory_destroy(b)
    }
}
