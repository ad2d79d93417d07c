/// The exact fp32 reference convolution on OpenBLAS (or the engine's sgemm): im2col + one GEMM, or Winograd F(2×2,3×3)
/// for 3×3 stride-1 pad-1 layers with ≥ 128 input channels. Dense NCHW fp32 in and out. Images are packed side by
/// side into one column matrix [Cin·k·k, N·OH·OW], so a batch of small maps (RoIs) is one large GEMM; a single 1×1
/// stride-1 convolution multiplies the input directly.
final class ReferenceConvolution: ConvolutionKernel {
    let g: ConvolutionGeometry
    let weight: [Float]
    let bias: [Float]
    let winograd: Winograd?
    let library: ComputeBackend
    let choice = KernelChoice.fp32Direct

    init(_ g: ConvolutionGeometry, weights: [Float], bias: [Float], winograd: Bool, library: ComputeBackend) {
        self.g = g
        weight = weights
        self.bias = bias
        self.library = library
        let eligible = winograd && g.kernel == 3 && g.stride == 1 && g.padding == 1 && g.inChannels >= 128
        self.winograd = eligible ? Winograd(weight: weights, outChannels: g.outChannels, inChannels: g.inChannels) : nil
    }

    var implementation: String { winograd != nil ? "OpenBLAS Winograd F(2x2,3x3)" : "OpenBLAS im2col+sgemm" }

    func run(_ x: FeatureMap, relu: Bool, stride: Int, accumulate: FeatureMap?, workspace: Workspace) -> FeatureMap {
        precondition(stride <= 0 || stride == g.stride || g.kernel == 1, "a strided read of a \(g.kernel)×\(g.kernel) layer")
        var input = x.tensor()
        if stride > 0 && stride != g.stride { input = Resample.maxPool(input, kernel: 1, stride: stride, padding: 0) }
        return FeatureMap(run(input, relu: relu, residual: accumulate?.tensor(), workspace: workspace))
    }

    /// y = relu?(conv(x) + bias + residual?) for x [N, Cin, H, W].
    func run(_ x: Tensor, relu: Bool, residual: Tensor?, workspace: Workspace) -> Tensor {
        let (oh, ow) = g.outputSize(h: x.h, w: x.w)
        let n = x.n, hw = oh * ow, k = g.inChannels * g.kernel * g.kernel, cols = n * hw, cout = g.outChannels
        if let r = residual { precondition(r.shape == [n, cout, oh, ow], "residual shape") }
        if let winograd {
            if n > 1 && x.w <= 32 {
                // Many small maps (RoIs): lay them side by side, each followed by zero columns up to an even width
                // + 2, so the tile grid stays aligned per map, zero padding between maps is exact, and whole tile
                // rows take the vector path; then read each map's columns back out.
                let packed = Winograd.packSideBySide(x)
                var y = Tensor(zeros: [1, cout, packed.h, packed.w])
                y.data.withUnsafeMutableBufferPointer { winograd.run(packed, into: $0.baseAddress!, library: library, workspace: workspace) }
                return Tensor(shape: [n, cout, oh, ow]) { o in
                    Winograd.unpackSideBySide(y, images: n, width: ow, into: o.baseAddress!)
                    Epilogue.apply(gemm: o.baseAddress!, out: o.baseAddress!, images: n, channels: cout, hw: hw,
                                   bias: bias, residual: residual, relu: relu, imageMajor: true)
                }
            }
            return Tensor(shape: [n, cout, oh, ow]) { o in
                winograd.run(x, into: o.baseAddress!, library: library, workspace: workspace)
                Epilogue.apply(gemm: o.baseAddress!, out: o.baseAddress!, images: n, channels: cout, hw: hw,
                               bias: bias, residual: residual, relu: relu, imageMajor: true)
            }
        }
        let direct = n == 1 && g.kernel == 1 && g.stride == 1 && g.padding == 0
        return x.data.withUnsafeBufferPointer { xp in
            let colBuf: UnsafePointer<Float>
            if direct {
                colBuf = xp.baseAddress!
            } else {
                let buf = workspace.buffer(0, count: k * cols)
                let shared = SharedFloats(buf), src = SharedFloats(UnsafeMutablePointer(mutating: xp.baseAddress!))
                let (c, h, w, kk, s, p) = (g.inChannels, x.h, x.w, g.kernel, g.stride, g.padding)
                // Parallel over (image, channel): each writes its own kk² rows' segment.
                Parallel.forEach(n * c) { job in
                    let img = job / c, ch = job % c
                    Im2Col.channel(src: src.base + (img * c + ch) * h * w, h: h, w: w, kernel: kk, stride: s, padding: p,
                                   oh: oh, ow: ow, dst: shared.base + ch * kk * kk * cols + img * hw, ld: cols)
                }
                colBuf = UnsafePointer(buf)
            }
            // GEMM into [Cout, N·HW] (straight into the output when N = 1), then one fused epilogue pass.
            return Tensor(shape: [n, cout, oh, ow]) { o in
                let gemmOut = n == 1 ? o.baseAddress! : workspace.buffer(1, count: cout * cols)
                weight.withUnsafeBufferPointer { wp in
                    GEMM.multiply(using: library, m: cout, n: cols, k: k, a: wp.baseAddress!, lda: k, transA: false,
                                  b: colBuf, ldb: cols, transB: false, c: gemmOut, ldc: cols, accumulate: false)
                }
                Epilogue.apply(gemm: gemmOut, out: o.baseAddress!, images: n, channels: cout, hw: hw,
                               bias: bias, residual: residual, relu: relu)
            }
        }
    }
}

/// The pass after a convolution's GEMM: + bias (+ residual), optional ReLU, and the [C, N·HW] → [N, C, HW] reorder.
enum Epilogue {
    /// `imageMajor`: the GEMM result is already [N, C, HW] (may then be `out` itself).
    static func apply(gemm: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, images n: Int, channels: Int,
                      hw: Int, bias: [Float], residual: Tensor?, relu: Bool, imageMajor: Bool = false) {
        let g = SharedFloats(gemm), o = SharedFloats(out)
        residual.withData { rp in
            let r = rp.map { SharedFloats(UnsafeMutablePointer(mutating: $0)) }
            Parallel.forEach(channels) { ch in
                let b = bias[ch]
                for img in 0..<n {
                    let src = imageMajor ? g.base + (img * channels + ch) * hw : g.base + ch * n * hw + img * hw
                    let dst = o.base + (img * channels + ch) * hw
                    if let r {
                        let res = r.base + (img * channels + ch) * hw
                        if relu { for i in 0..<hw { dst[i] = max(src[i] + b + res[i], 0) } }
                        else { for i in 0..<hw { dst[i] = src[i] + b + res[i] } }
                    } else if relu {
                        for i in 0..<hw { dst[i] = max(src[i] + b, 0) }
                    } else {
                        for i in 0..<hw { dst[i] = src[i] + b }
                    }
                }
            }
        }
    }
}

/// The im2col transform: for one input channel, rows (ky, kx) of OH·OW samples, zero outside the borders.
public enum Im2Col {
    /// Writes the k² rows of one channel; row r starts at `dst + r·ld`.
    public static func channel(src plane: UnsafePointer<Float>, h: Int, w: Int, kernel: Int, stride: Int, padding: Int,
                               oh: Int, ow: Int, dst: UnsafeMutablePointer<Float>, ld: Int) {
        var row = dst
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                let off = kx - padding
                // Valid ox range: 0 <= ox·stride + off < w.
                var lo = 0
                while lo < ow && lo * stride + off < 0 { lo += 1 }
                var hi = ow
                while hi > lo && (hi - 1) * stride + off >= w { hi -= 1 }
                for oy in 0..<oh {
                    let iy = oy * stride - padding + ky
                    let out = row + oy * ow
                    if iy < 0 || iy >= h {
                        out.update(repeating: 0, count: ow)
                        continue
                    }
                    let line = plane + iy * w
                    if lo > 0 { out.update(repeating: 0, count: lo) }
                    if stride == 1 {
                        (out + lo).update(from: line + lo + off, count: hi - lo)
                    } else {
                        var ox = lo
                        while ox < hi { out[ox] = line[ox * stride + off]; ox += 1 }
                    }
                    if hi < ow { (out + hi).update(repeating: 0, count: ow - hi) }
                }
                row += ld
            }
        }
    }
}
