#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// The resampling ops of a chain on feature maps: each reads a `FeatureMap` in whatever layout and type the previous
/// kernel wrote and writes its output in the same (oneDNN's pooling and resampling; exact in bf16 too: they only
/// pick values).
extension Resample {
    /// max_pool2d(kernel, stride, padding) with −∞ padding.
    public static func maxPool(_ x: FeatureMap, kernel: Int, stride: Int, padding: Int) -> FeatureMap {
        let oh = (x.h + 2 * padding - kernel) / stride + 1, ow = (x.w + 2 * padding - kernel) / stride + 1
        let dst = MemoryDesc([x.n, x.c, oh, ow], x.type, dnnl_format_tag_any)
        let k: [Int64] = [Int64(kernel), Int64(kernel)], s: [Int64] = [Int64(stride), Int64(stride)]
        let p: [Int64] = [Int64(padding), Int64(padding)]
        let pd = DNNL.primitiveDesc { out in
            s.withUnsafeBufferPointer { sp in k.withUnsafeBufferPointer { kp in p.withUnsafeBufferPointer { pp in
                mrcnn_max_pool_pd(out, DNNL.engine, x.md.handle, dst.handle, sp.baseAddress!, kp.baseAddress!, pp.baseAddress!)
            } } }
        }
        guard let pd else { preconditionFailure("oneDNN: no max pooling for \(x.md)") }
        return run(pd, x)
    }

    /// Nearest-neighbour resize to exactly twice the size (F.interpolate mode="nearest": output (y, x) reads
    /// (y/2, x/2)).
    public static func nearest2x(_ x: FeatureMap) -> FeatureMap {
        let dst = MemoryDesc([x.n, x.c, 2 * x.h, 2 * x.w], x.type, dnnl_format_tag_any)
        guard let pd = DNNL.primitiveDesc({ mrcnn_nearest_pd($0, DNNL.engine, x.md.handle, dst.handle) }) else {
            preconditionFailure("oneDNN: no nearest resampling for \(x.md)")
        }
        return run(pd, x)
    }

    /// Nearest-neighbour resize to `h`×`w`: 2× on oneDNN, any other size through the NCHW op (in `x`'s type).
    public static func nearest(_ x: FeatureMap, h: Int, w: Int) -> FeatureMap {
        if h == 2 * x.h && w == 2 * x.w { return nearest2x(x) }
        let y = FeatureMap(nearest(x.tensor(), h: h, w: w))
        return x.type == .f32 ? y : y.converted(to: MemoryDesc(y.shape, x.type, dnnl_nchw))
    }

    /// Runs a single-source primitive of `pd` (destroyed here) on `x` into a new map of its output layout.
    private static func run(_ pd: OpaquePointer, _ x: FeatureMap) -> FeatureMap {
        defer { dnnl_primitive_desc_destroy(pd) }
        let out = FeatureMap(md: DNNL.md(pd, dnnl_query_dst_md))
        let input = x.laidOut(as: DNNL.md(pd, dnnl_query_src_md))
        let p = DNNL.primitive(pd)
        defer { dnnl_primitive_destroy(p) }
        DNNL.execute(p, [(DNNL_ARG_SRC, input.md, input.data), (DNNL_ARG_DST, out.md, out.data)])
        out.int8Step = x.int8Step   // picked values keep their step
        return out
    }
}

/// Power-of-two chunks of a batch of RoIs: at most `limit` each (32 maps, 512 rows), largest first, so any batch size
/// needs at most log₂(limit) + 1 distinct primitive shapes and a chunk's activations stay near the cache.
public enum RoIChunks {
    /// The ranges that cover 0..<count.
    public static func ranges(_ count: Int, limit: Int) -> [Range<Int>] {
        var out: [Range<Int>] = [], start = 0
        while start < count {
            var c = limit
            while c > count - start { c /= 2 }
            out.append(start..<(start + c))
            start += c
        }
        return out
    }

    /// `body` on each chunk of the leading dimension of `x` (the whole tensor when it fits one chunk), outputs
    /// concatenated; an empty batch gives `empty`.
    public static func map(_ x: Tensor, limit: Int, empty: Tensor, _ body: (Tensor) -> Tensor) -> Tensor {
        map(x, limit: limit, empty: empty) { chunk, _ in body(chunk) }
    }

    /// The same, `body` also told which rows of `x` its chunk holds.
    public static func map(_ x: Tensor, limit: Int, empty: Tensor, _ body: (Tensor, Range<Int>) -> Tensor) -> Tensor {
        guard x.shape[0] > 0 else { return empty }
        let parts = ranges(x.shape[0], limit: limit).map { r in body(r.count == x.shape[0] ? x : x.slice(r.lowerBound, r.upperBound), r) }
        return parts.count == 1 ? parts[0] : Tensor.concat(parts)
    }
}
