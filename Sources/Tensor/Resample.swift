/// Pooling and resampling of NCHW tensors with PyTorch's exact index arithmetic (float32, align_corners=False).
public enum Resample {
    /// max_pool2d(kernel, stride, padding) with −∞ padding.
    public static func maxPool(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
        let oh = (x.h + 2 * padding - kernel) / stride + 1
        let ow = (x.w + 2 * padding - kernel) / stride + 1
        let h = x.h, w = x.w
        return x.data.withUnsafeBufferPointer { xp in
            Tensor(shape: [x.n, x.c, oh, ow]) { o in
                let sp = SharedFloats(UnsafeMutablePointer(mutating: xp.baseAddress!)), dp = SharedFloats(o.baseAddress!)
                Parallel.forEach(x.n * x.c) { plane in
                    let src = sp.base + plane * h * w
                    let dst = dp.base + plane * oh * ow
                    for oy in 0..<oh {
                        let y0 = max(oy * stride - padding, 0), y1 = min(oy * stride - padding + kernel, h)
                        for ox in 0..<ow {
                            let x0 = max(ox * stride - padding, 0), x1 = min(ox * stride - padding + kernel, w)
                            var m = -Float.infinity
                            for yy in y0..<y1 { for xx in x0..<x1 { m = max(m, src[yy * w + xx]) } }
                            dst[oy * ow + ox] = m
                        }
                    }
                }
            }
        }
    }

    /// Nearest-neighbour resize to `h`×`w` (F.interpolate mode="nearest").
    public static func nearest(_ x: Tensor, h oh: Int, w ow: Int) -> Tensor {
        let h = x.h, w = x.w
        let ys = (0..<oh).map { nearestIndex($0, input: h, output: oh) }
        let xs = (0..<ow).map { nearestIndex($0, input: w, output: ow) }
        return x.data.withUnsafeBufferPointer { xp in
            Tensor(shape: [x.n, x.c, oh, ow]) { o in
                let sp = SharedFloats(UnsafeMutablePointer(mutating: xp.baseAddress!)), dp = SharedFloats(o.baseAddress!)
                Parallel.forEach(x.n * x.c) { plane in
                    let src = sp.base + plane * h * w
                    let dst = dp.base + plane * oh * ow
                    for oy in 0..<oh {
                        let line = src + ys[oy] * w
                        for ox in 0..<ow { dst[oy * ow + ox] = line[xs[ox]] }
                    }
                }
            }
        }
    }

    static func nearestIndex(_ i: Int, input: Int, output: Int) -> Int {
        if input == output { return i }
        if output == 2 * input { return i >> 1 }
        let scale = Float(input) / Float(output)
        return min(Int((Float(i) * scale).rounded(.down)), input - 1)
    }

    /// Source index pair and weights of one output coordinate for linear interpolation (align_corners=False).
    public struct LinearTap: Sendable {
        public let i0: Int
        public let i1: Int
        public let l0: Float
        public let l1: Float
    }

    /// Taps for resizing `input` samples to `output` samples as PyTorch's CPU kernel computes them: scale = input/output
    /// in float32, then the source index `scale·(i + 0.5) − 0.5` and the interpolation weights in double precision
    /// (rounded to float32 only at the end).
    public static func linearTaps(input: Int, output: Int) -> [LinearTap] {
        let scale = Double(Float(input) / Float(output))
        return (0..<output).map { i in
            let src = max(scale * (Double(i) + 0.5) - 0.5, 0)
            let i0 = Int(src)
            let i1 = i0 < input - 1 ? i0 + 1 : i0
            let l1 = src - Double(i0)
            return LinearTap(i0: i0, i1: i1, l0: Float(1 - l1), l1: Float(l1))
        }
    }

    /// Bilinear resize of every plane of a [N, C, H, W] tensor to `h`×`w` (F.interpolate mode="bilinear", align_corners=False).
    public static func bilinear(_ x: Tensor, h oh: Int, w ow: Int) -> Tensor {
        let h = x.h, w = x.w
        let ty = linearTaps(input: h, output: oh), tx = linearTaps(input: w, output: ow)
        return x.data.withUnsafeBufferPointer { xp in
            Tensor(shape: [x.n, x.c, oh, ow]) { o in
                for plane in 0..<(x.n * x.c) {
                    bilinearPlane(src: xp.baseAddress! + plane * h * w, w: w, dst: o.baseAddress! + plane * oh * ow,
                                  ty: ty, tx: tx)
                }
            }
        }
    }

    /// One plane of a bilinear resize with precomputed taps.
    @inline(__always)
    public static func bilinearPlane(src: UnsafePointer<Float>, w: Int, dst: UnsafeMutablePointer<Float>,
                                     ty: [LinearTap], tx: [LinearTap]) {
        let ow = tx.count
        for (oy, a) in ty.enumerated() {
            let r0 = src + a.i0 * w, r1 = src + a.i1 * w
            for (ox, b) in tx.enumerated() {
                let top = b.l0 * r0[b.i0] + b.l1 * r0[b.i1]
                let bottom = b.l0 * r1[b.i0] + b.l1 * r1[b.i1]
                dst[oy * ow + ox] = a.l0 * top + a.l1 * bottom
            }
        }
    }
}
