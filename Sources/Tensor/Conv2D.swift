/// A 2-D convolution with folded bias, run as GEMM: weights [Cout, Cin·kh·kw] row-major (PyTorch's layout flattened), input/output NCHW.
public struct Conv2D: Sendable {
    public let outChannels: Int
    public let inChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: [Float]
    public let bias: [Float]

    public init(weight: [Float], bias: [Float]?, outChannels: Int, inChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        precondition(weight.count == outChannels * inChannels * kernel * kernel, "conv weight size")
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.weight = weight
        self.bias = bias ?? [Float](repeating: 0, count: outChannels)
    }

    /// Output spatial size for an input of `h`×`w`.
    public func outputSize(h: Int, w: Int) -> (h: Int, w: Int) {
        ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }

    /// y = relu?(conv(x) + bias + residual?) for x [N, Cin, H, W]; `residual`, if given, has the output's shape.
    public func callAsFunction(_ x: Tensor, relu: Bool = false, residual: Tensor? = nil, workspace: Workspace) -> Tensor {
        precondition(x.rank == 4 && x.c == inChannels, "conv expects [N,\(inChannels),H,W], got \(x.shape)")
        let (oh, ow) = outputSize(h: x.h, w: x.w)
        let n = x.n, hw = oh * ow, k = inChannels * kernel * kernel
        let direct = kernel == 1 && stride == 1 && padding == 0
        var out = Tensor(shape: [n, outChannels, oh, ow]) { o in
            if let r = residual {
                precondition(r.shape == [n, outChannels, oh, ow], "residual shape")
                r.data.withUnsafeBufferPointer { rp in
                    for i in 0..<o.count { o[i] = rp[i] + bias[(i / hw) % outChannels] }
                }
            } else {
                for img in 0..<n {
                    for co in 0..<outChannels {
                        let base = (img * outChannels + co) * hw
                        let b = bias[co]
                        for i in 0..<hw { o[base + i] = b }
                    }
                }
            }
        }
        x.data.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { op in
                    for img in 0..<n {
                        let src = xp.baseAddress! + img * inChannels * x.h * x.w
                        let cols: UnsafePointer<Float>
                        if direct {
                            cols = src
                        } else {
                            let buf = workspace.buffer(0, count: k * hw)
                            Im2Col.fill(src: src, channels: inChannels, h: x.h, w: x.w, kernel: kernel,
                                        stride: stride, padding: padding, oh: oh, ow: ow, dst: buf)
                            cols = UnsafePointer(buf)
                        }
                        GEMM.multiply(m: outChannels, n: hw, k: k, a: wp.baseAddress!, lda: k,
                                      b: cols, ldb: hw, c: op.baseAddress! + img * outChannels * hw, ldc: hw,
                                      accumulate: true)
                    }
                }
            }
        }
        if relu { out.relu() }
        return out
    }
}

/// The im2col transform: columns [Cin·k·k, OH·OW] of a CHW image, zero outside the borders.
public enum Im2Col {
    public static func fill(src: UnsafePointer<Float>, channels: Int, h: Int, w: Int, kernel: Int, stride: Int,
                            padding: Int, oh: Int, ow: Int, dst: UnsafeMutablePointer<Float>) {
        var row = dst
        for c in 0..<channels {
            let plane = src + c * h * w
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    for oy in 0..<oh {
                        let iy = oy * stride - padding + ky
                        let out = row + oy * ow
                        if iy < 0 || iy >= h {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let line = plane + iy * w
                        // Valid ox range: 0 <= ox*stride - padding + kx < w.
                        let off = kx - padding
                        var lo = 0
                        while lo < ow && lo * stride + off < 0 { lo += 1 }
                        var hi = ow
                        while hi > lo && (hi - 1) * stride + off >= w { hi -= 1 }
                        if lo > 0 { out.update(repeating: 0, count: lo) }
                        if stride == 1 {
                            (out + lo).update(from: line + lo + off, count: hi - lo)
                        } else {
                            var ox = lo
                            while ox < hi { out[ox] = line[ox * stride + off]; ox += 1 }
                        }
                        if hi < ow { (out + hi).update(repeating: 0, count: ow - hi) }
                    }
                    row += oh * ow
                }
            }
        }
    }
}
