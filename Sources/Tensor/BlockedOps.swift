#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// Layers and the two resampling ops of a blocked chain: each reads a `BlockedTensor` in whatever layout the
/// previous oneDNN kernel wrote and writes its output in its own kernel's layout (no NCHW in between).
extension Conv2D {
    /// Whether this layer runs on oneDNN with activations kept in the kernel's layout (`ComputeEngine.blockedLayout`).
    public var runsBlocked: Bool { onednn != nil && engine.blockedLayout }

    /// y = relu?(conv(x) + bias + accumulate?) in the kernel's layout. `stride` overrides the layer's stride (a 1×1
    /// projection shortcut reads every s-th pixel). `accumulate` (the residual, output-shaped) is consumed: the result
    /// is written into its buffer when the layouts agree. Only when `runsBlocked`.
    public func blocked(_ x: BlockedTensor, relu: Bool = false, stride: Int? = nil,
                        accumulate: BlockedTensor? = nil) -> BlockedTensor {
        guard let onednn, runsBlocked else { preconditionFailure("Conv2D.blocked needs a oneDNN layer in a blocked engine") }
        if let f4 = winogradF4, (stride ?? 1) == 1, accumulate == nil, WinogradF4.routes(inChannels: inChannels, n: x.n) {
            return f4.value.run(x, relu: relu)
        }
        return onednn.runBlocked(x, relu: relu, stride: stride ?? 0, accumulate: accumulate)
    }
}

extension ConvTranspose2D {
    /// Whether the blocked sub-pixel form runs (oneDNN, kernel = stride, no padding, `ComputeEngine.blockedLayout`).
    public var runsBlocked: Bool { subpixel != nil && engine.blockedLayout }

    /// relu?(deconv(x) + bias) as sub-pixel images [N·k², Cout, H, W] in the kernel's layout (image i·k² + ky·k + kx
    /// holds output pixels (k·y + ky, k·x + kx)); `BlockedTensor.tensor(interleavingSubpixels: k)` assembles them,
    /// after any per-pixel layers (the mask logits) ran on them. Only when `runsBlocked`.
    public func blockedSubpixels(_ x: BlockedTensor, relu: Bool = false) -> BlockedTensor {
        guard let subpixel, runsBlocked else { preconditionFailure("ConvTranspose2D.blockedSubpixels needs the sub-pixel form") }
        return subpixel.runBlocked(x, relu: relu).splittingChannels(into: kernel * kernel)
    }

    /// PyTorch's [Cin, Cout, k, k] weights as a 1×1 convolution's [k²·Cout, Cin] (row (ky·k + kx)·Cout + co) and its
    /// bias repeated k² times: with stride k and no padding each input pixel writes its own k×k output patch.
    static func subpixelLayer(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel k: Int,
                              bf16: Bool) -> DNNLLayer {
        var w = [Float](repeating: 0, count: weight.count)
        for ci in 0..<inChannels {
            for co in 0..<outChannels {
                for s in 0..<(k * k) {
                    w[(s * outChannels + co) * inChannels + ci] = weight[(ci * outChannels + co) * k * k + s]
                }
            }
        }
        let b = (0..<(k * k)).flatMap { _ in bias }
        return DNNLLayer(op: .conv(kernel: 1, stride: 1, padding: 0), weights: w, bias: b, inC: inChannels,
                         outC: k * k * outChannels, bf16: bf16)
    }
}

extension Resample {
    /// max_pool2d(kernel, stride, padding) with −∞ padding, on oneDNN in `x`'s layout.
    public static func maxPool(_ x: BlockedTensor, kernel: Int, stride: Int, padding: Int) -> BlockedTensor {
        let oh = (x.h + 2 * padding - kernel) / stride + 1, ow = (x.w + 2 * padding - kernel) / stride + 1
        var src = x.md, dst = DNNL.md([x.n, x.c, oh, ow], dnnl_f32, dnnl_format_tag_any)
        let k = [dnnl_dim_t(kernel), dnnl_dim_t(kernel)], s = [dnnl_dim_t(stride), dnnl_dim_t(stride)]
        let p = [dnnl_dim_t(padding), dnnl_dim_t(padding)]
        var desc = dnnl_pooling_desc_t()
        DNNL.check(dnnl_pooling_forward_desc_init(&desc, dnnl_forward_inference, dnnl_pooling_max, &src, &dst, s, k, p, p),
                   "pooling desc")
        var pd: dnnl_primitive_desc_t? = nil
        DNNL.check(dnnl_primitive_desc_create(&pd, &desc, nil, DNNL.engine, nil), "pooling primitive desc")
        return run(pd!, x)
    }

    /// Nearest-neighbour resize to exactly twice the size (F.interpolate mode="nearest": output (y, x) reads
    /// (y/2, x/2)), on oneDNN in `x`'s layout.
    public static func nearest2x(_ x: BlockedTensor) -> BlockedTensor {
        var src = x.md, dst = DNNL.md([x.n, x.c, 2 * x.h, 2 * x.w], dnnl_f32, dnnl_format_tag_any)
        var desc = dnnl_resampling_desc_t()
        DNNL.check(dnnl_resampling_forward_desc_init(&desc, dnnl_forward_inference, dnnl_resampling_nearest, nil, &src, &dst),
                   "resampling desc")
        var pd: dnnl_primitive_desc_t? = nil
        DNNL.check(dnnl_primitive_desc_create(&pd, &desc, nil, DNNL.engine, nil), "resampling primitive desc")
        return run(pd!, x)
    }

    /// Runs a single-source primitive of `pd` (destroyed here) on `x` into a new tensor of its output layout.
    private static func run(_ pd: dnnl_primitive_desc_t, _ x: BlockedTensor) -> BlockedTensor {
        defer { dnnl_primitive_desc_destroy(pd) }
        let out = BlockedTensor(md: dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0).pointee)
        let wantSrc = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0).pointee
        let input = DNNL.equal(wantSrc, x.md) ? x : x.converted(to: wantSrc)
        var p: dnnl_primitive_t? = nil
        DNNL.check(dnnl_primitive_create(&p, pd), "primitive")
        defer { dnnl_primitive_destroy(p) }
        let s = DNNL.memory(input.md, input.data), d = DNNL.memory(out.md, out.data)
        defer { dnnl_memory_destroy(s); dnnl_memory_destroy(d) }
        DNNL.execute(p!, [(DNNL_ARG_SRC, s), (DNNL_ARG_DST, d)])
        return out
    }
}
