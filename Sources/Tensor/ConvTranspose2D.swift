/// A transposed 2-D convolution as GEMM + col2im: weights in PyTorch's [Cin, Cout, k, k] layout, input/output NCHW.
public struct ConvTranspose2D: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: [Float]
    public let bias: [Float]

    public let engine: ComputeEngine
    let onednn: DNNLLayer?
    /// On oneDNN when kernel = stride and no padding (the mask head's 2×2/2): a 1×1 convolution to k²·Cout channels
    /// whose outputs are the k×k output pixels of each input pixel (`blockedSubpixels`), instead of oneDNN's deconv.
    let subpixel: DNNLLayer?

    public init(weight: [Float], bias: [Float]?, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int = 0,
                engine: ComputeEngine = .reference) {
        precondition(weight.count == inChannels * outChannels * kernel * kernel, "deconv weight size")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.engine = engine
        self.weight = engine.emulatesBF16 ? BF16.round(weight) : weight
        self.bias = bias ?? [Float](repeating: 0, count: outChannels)
        // `auto` takes oneDNN for the sub-pixel form only (its deconv kernel measured 3× slower than OpenBLAS).
        let disjoint = kernel == stride && padding == 0
        let useOneDNN = engine.backend(for: .deconv) == .onednn && (disjoint || engine.requestedBackend != .auto)
        subpixel = useOneDNN && disjoint
            ? ConvTranspose2D.subpixelLayer(weight: self.weight, bias: self.bias, inChannels: inChannels,
                                            outChannels: outChannels, kernel: kernel, bf16: engine.precision == .bf16)
            : nil
        onednn = useOneDNN && !disjoint
            ? DNNLLayer(op: .deconv(kernel: kernel, stride: stride, padding: padding), weights: self.weight, bias: self.bias,
                        inC: inChannels, outC: outChannels, bf16: engine.precision == .bf16)
            : nil
    }

    /// The implementation that runs this layer.
    public var implementation: String {
        if let subpixel { return "oneDNN \(subpixel.implementation) (1×1 to \(kernel * kernel)·C + pixel shuffle)" }
        return onednn.map { "oneDNN " + $0.implementation } ?? "OpenBLAS sgemm+col2im"
    }

    /// y = relu?(deconv(x) + bias) for x [N, Cin, H, W] → [N, Cout, (H−1)·s − 2p + k, (W−1)·s − 2p + k].
    public func callAsFunction(_ x: Tensor, relu: Bool = false, workspace: Workspace) -> Tensor {
        precondition(x.rank == 4 && x.c == inChannels, "deconv expects [N,\(inChannels),H,W], got \(x.shape)")
        let x = engine.emulatesBF16 ? BF16.round(x) : x
        if let onednn { return onednn.run(x, relu: relu, residual: nil, workspace: workspace) }
        if let subpixel {
            // Power-of-two chunks of RoIs (as DNNLLayer.run), so few primitives serve any batch size.
            var parts: [Tensor] = [], start = 0
            if x.n == 0 { return Tensor(zeros: [0, outChannels, x.h * kernel, x.w * kernel]) }
            while start < x.n {
                var c = x.n == 1 ? 1 : DNNLLayer.convChunk
                while c > x.n - start { c /= 2 }
                let chunk = c == x.n ? x : x.slice(start, start + c)
                parts.append(subpixel.runBlocked(BlockedTensor(chunk), relu: relu).splittingChannels(into: kernel * kernel)
                    .tensor(interleavingSubpixels: kernel))
                start += c
            }
            return parts.count == 1 ? parts[0] : Tensor.concat(parts)
        }
        let h = x.h, w = x.w, n = x.n
        let oh = (h - 1) * stride - 2 * padding + kernel
        let ow = (w - 1) * stride - 2 * padding + kernel
        let rows = outChannels * kernel * kernel
        let k = kernel, s = stride, p = padding, cout = outChannels
        var out = Tensor(shape: [n, cout, oh, ow]) { o in
            for img in 0..<n {
                for co in 0..<cout {
                    let base = (img * cout + co) * oh * ow
                    for i in 0..<(oh * ow) { o[base + i] = bias[co] }
                }
            }
        }
        let cols = workspace.buffer(1, count: rows * h * w)
        x.data.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { op in
                    for img in 0..<n {
                        // cols[(co·k+ky)·k+kx, y·W+x] = Σ_ci W[ci, co, ky, kx] · x[ci, y, x]
                        GEMM.multiply(m: rows, n: h * w, k: inChannels, a: wp.baseAddress!, lda: rows, transA: true,
                                      b: xp.baseAddress! + img * inChannels * h * w, ldb: h * w,
                                      c: cols, ldc: h * w)
                        let dst = op.baseAddress! + img * cout * oh * ow
                        for co in 0..<cout {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let row = cols + ((co * k + ky) * k + kx) * h * w
                                    let plane = dst + co * oh * ow
                                    for y in 0..<h {
                                        let oy = y * s - p + ky
                                        if oy < 0 || oy >= oh { continue }
                                        for xx in 0..<w {
                                            let ox = xx * s - p + kx
                                            if ox < 0 || ox >= ow { continue }
                                            plane[oy * ow + ox] += row[y * w + xx]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if relu { out.relu() }
        return out
    }
}

/// A fully connected layer y = x·Wᵀ + b: weights [out, in] (PyTorch's layout), input [N, in], output [N, out].
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: [Float]
    public let bias: [Float]

    public let engine: ComputeEngine
    let onednn: DNNLLayer?

    public init(weight: [Float], bias: [Float], inFeatures: Int, outFeatures: Int, engine: ComputeEngine = .reference) {
        precondition(weight.count == inFeatures * outFeatures && bias.count == outFeatures, "linear sizes")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.engine = engine
        self.weight = engine.emulatesBF16 ? BF16.round(weight) : weight
        self.bias = bias
        onednn = engine.backend(for: .linear) == .onednn
            ? DNNLLayer(op: .linear, weights: self.weight, bias: bias, inC: inFeatures, outC: outFeatures,
                        bf16: engine.precision == .bf16)
            : nil
    }

    /// The implementation that runs this layer.
    public var implementation: String { onednn.map { "oneDNN " + $0.implementation } ?? "OpenBLAS sgemm" }

    /// y = relu?(x·Wᵀ + b) for x [N, in] (any shape of N·in values) → [N, out]; `workspace` is used by oneDNN only.
    public func callAsFunction(_ x: Tensor, relu: Bool = false, workspace: Workspace? = nil) -> Tensor {
        let n = x.count / inFeatures
        precondition(n * inFeatures == x.count, "linear expects [N,\(inFeatures)], got \(x.shape)")
        let x = engine.emulatesBF16 ? BF16.round(x) : x
        if let onednn { return onednn.run(x.reshaped([n, inFeatures]), relu: relu, residual: nil, workspace: workspace ?? Workspace()) }
        var out = Tensor(shape: [n, outFeatures]) { o in
            for r in 0..<n { for j in 0..<outFeatures { o[r * outFeatures + j] = bias[j] } }
        }
        if n > 0 {
            x.data.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    out.data.withUnsafeMutableBufferPointer { op in
                        GEMM.multiply(m: n, n: outFeatures, k: inFeatures, a: xp.baseAddress!, lda: inFeatures,
                                      b: wp.baseAddress!, ldb: inFeatures, transB: true,
                                      c: op.baseAddress!, ldc: outFeatures, accumulate: true)
                    }
                }
            }
        }
        if relu { out.relu() }
        return out
    }
}
