#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// One primitive of a `DNNLLayer` for one input shape (and, for dense fp32 input and output, the reorders around it).
final class DNNLPlan {
    let primitive: OpaquePointer
    let implementation: String
    /// The primitive's source and destination layouts.
    let src: MemoryDesc, dst: MemoryDesc
    /// Dense fp32 NCHW / [N, C] layouts of the caller when `Key.plainIO`.
    let userSrc: MemoryDesc, userDst: MemoryDesc
    let toSrc: OpaquePointer?, toDst: OpaquePointer?, fromDst: OpaquePointer?
    let weights: OpaquePointer, ownsWeights: Bool
    let biasMD: MemoryDesc
    unowned let layer: DNNLLayer

    init(layer: DNNLLayer, key: DNNLLayer.Key) {
        self.layer = layer
        let n = key.n, (oh, ow) = layer.outputSize(h: key.h, w: key.w, stride: key.stride)
        let compute = layer.compute, any = dnnl_format_tag_any
        // The destination keeps the layer's store type even in plain mode (reordered to fp32 NCHW after).
        let biasMD = MemoryDesc([layer.outC], .f32, dnnl_x)
        let srcAny: MemoryDesc, dstAny: MemoryDesc, weightsAny: MemoryDesc
        var pd: OpaquePointer?
        let attr = mrcnn_attr(key.residual ? 1 : 0, key.relu ? 1 : 0)
        defer { dnnl_primitive_attr_destroy(attr) }
        switch layer.op {
        case .linear:
            userSrc = MemoryDesc([n, layer.inC], .f32, dnnl_nc)
            userDst = MemoryDesc([n, layer.outC], .f32, dnnl_nc)
            srcAny = MemoryDesc([n, layer.inC], compute, any)
            dstAny = MemoryDesc([n, layer.outC], layer.store, dnnl_nc)
            weightsAny = MemoryDesc([layer.outC, layer.inC], compute, any)
            pd = DNNL.primitiveDesc { mrcnn_inner_product_pd($0, DNNL.engine, srcAny.handle, weightsAny.handle, biasMD.handle, dstAny.handle, attr) }
        case .conv(let k, var s, let p), .deconv(let k, var s, let p):
            if key.stride > 0 { s = key.stride }
            userSrc = MemoryDesc([n, layer.inC, key.h, key.w], .f32, dnnl_nchw)
            userDst = MemoryDesc([n, layer.outC, oh, ow], .f32, dnnl_nchw)
            srcAny = MemoryDesc([n, layer.inC, key.h, key.w], compute, any)
            dstAny = MemoryDesc([n, layer.outC, oh, ow], layer.store, any)
            weightsAny = MemoryDesc([layer.outC, layer.inC, k, k], compute, any)
            var deconv: Int32 = 0
            if case .deconv = layer.op { deconv = 1 }
            let strides: [Int64] = [Int64(s), Int64(s)], pads: [Int64] = [Int64(p), Int64(p)]
            pd = DNNL.primitiveDesc { out in
                strides.withUnsafeBufferPointer { sp in pads.withUnsafeBufferPointer { pp in
                    mrcnn_conv_pd(out, DNNL.engine, deconv, srcAny.handle, weightsAny.handle, biasMD.handle, dstAny.handle,
                                  sp.baseAddress!, pp.baseAddress!, attr)
                } }
            }
        }
        guard let pd else { preconditionFailure("oneDNN: no primitive for \(layer.op), \(key), \(compute) → \(layer.store)") }
        defer { dnnl_primitive_desc_destroy(pd) }
        self.biasMD = biasMD
        implementation = DNNL.implementation(pd)
        src = DNNL.md(pd, dnnl_query_src_md)
        dst = DNNL.md(pd, dnnl_query_dst_md)
        let wmd = DNNL.md(pd, dnnl_query_weights_md)
        primitive = DNNL.primitive(pd)
        if key.plainIO {
            toSrc = src == userSrc ? nil : DNNL.reorder(userSrc, src)
            let plainDst = dst == userDst
            fromDst = plainDst ? nil : DNNL.reorder(dst, userDst)
            toDst = plainDst || !key.residual ? nil : DNNL.reorder(userDst, dst)
        } else {
            toSrc = nil; toDst = nil; fromDst = nil
        }
        (weights, ownsWeights) = layer.weightsMemory(for: wmd)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        for r in [toSrc, toDst, fromDst] { if let r { dnnl_primitive_destroy(r) } }
        if ownsWeights { dnnl_memory_destroy(weights) }
    }

    /// The whole batch: `src` and `dst` (and `residual`) dense fp32 in the user layouts.
    func execute(src srcPtr: UnsafePointer<Float>, dst dstPtr: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
        var srcData = UnsafeMutableRawPointer(mutating: srcPtr)
        var srcBuffer: FeatureMap?
        if let toSrc {
            let buffer = FeatureMap(md: src)
            execute(toSrc, from: userSrc, srcData, to: src, buffer.data)
            srcData = buffer.data
            srcBuffer = buffer
        }
        var dstData = UnsafeMutableRawPointer(dstPtr)
        var dstBuffer: FeatureMap?
        if fromDst != nil {
            let buffer = FeatureMap(md: dst)
            dstData = buffer.data
            dstBuffer = buffer
        }
        if let residual {
            if let toDst { execute(toDst, from: userDst, UnsafeMutableRawPointer(mutating: residual), to: dst, dstData) }
            else { dstData.copyMemory(from: residual, byteCount: userDst.bytes) }
        }
        execute(blockedSrc: srcData, dst: dstData)
        if let fromDst { execute(fromDst, from: dst, dstData, to: userDst, UnsafeMutableRawPointer(dstPtr)) }
        withExtendedLifetime((srcBuffer, dstBuffer)) {}
    }

    private func execute(_ reorder: OpaquePointer, from: MemoryDesc, _ a: UnsafeMutableRawPointer, to: MemoryDesc,
                         _ b: UnsafeMutableRawPointer) {
        DNNL.execute(reorder, [(DNNL_ARG_FROM, from, a), (DNNL_ARG_TO, to, b)])
    }

    /// The whole batch with `src` and `dst` already in the primitive's layouts (`dst` holds the residual if any).
    func execute(blockedSrc srcData: UnsafeMutableRawPointer, dst dstData: UnsafeMutableRawPointer) {
        let s = DNNL.memory(src, srcData), d = DNNL.memory(dst, dstData)
        let b = layer.withBias { DNNL.memory(biasMD, UnsafeMutableRawPointer(mutating: $0)) }
        defer { dnnl_memory_destroy(s); dnnl_memory_destroy(d); dnnl_memory_destroy(b) }
        DNNL.execute(primitive, [(DNNL_ARG_SRC, s), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_BIAS, b), (DNNL_ARG_DST, d)])
    }
}
