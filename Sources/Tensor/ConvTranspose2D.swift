/// A transposed 2-D convolution: weights in PyTorch's [Cin, Cout, k, k] layout. With kernel = stride and no padding
/// (the mask head's 2×2/2) each input pixel writes its own k×k output patch, so it runs as a 1×1 `Conv2D` to k²·Cout
/// channels whose outputs are the sub-pixel images (`subpixels`), at a convolution's speed on every backend; other
/// shapes (the keypoint predictor's 4×4/2) run as GEMM + col2im on OpenBLAS, or oneDNN's deconvolution (`onednn`,
/// and `auto` in bf16). `decision`: outputs written in fp32. Immutable, thread-safe.
public struct ConvTranspose2D: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: [Float]
    public let bias: [Float]
    public let engine: ComputeEngine
    /// The sub-pixel form (kernel = stride, no padding): a 1×1 convolution to kernel²·Cout channels.
    let subpixel: Conv2D?
    /// oneDNN's deconvolution for the other shapes, when the engine runs it there.
    let onednn: DNNLLayer?
    /// The weights the col2im path multiplies (rounded to bf16 in the emulation).
    let products: [Float]

    public init(weight: [Float], bias: [Float]?, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int = 0,
                rois: Bool = true, decision: Bool = false, engine: ComputeEngine = .reference) {
        precondition(weight.count == inChannels * outChannels * kernel * kernel, "deconv weight size")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.engine = engine
        self.weight = weight
        let bias = bias ?? [Float](repeating: 0, count: outChannels)
        self.bias = bias
        products = engine.emulatesBF16 ? BF16.round(weight) : weight
        if kernel == stride && padding == 0 {
            // Row (ky·k + kx)·Cout + co of the 1×1 layer is output pixel (ky, kx) of channel co.
            var w = [Float](repeating: 0, count: weight.count)
            for ci in 0..<inChannels {
                for co in 0..<outChannels {
                    for s in 0..<(kernel * kernel) {
                        w[(s * outChannels + co) * inChannels + ci] = weight[(ci * outChannels + co) * kernel * kernel + s]
                    }
                }
            }
            subpixel = Conv2D(weight: w, bias: (0..<(kernel * kernel)).flatMap { _ in bias }, outChannels: kernel * kernel * outChannels,
                              inChannels: inChannels, kernel: 1, rois: rois, decision: decision, engine: engine)
            onednn = nil
        } else {
            subpixel = nil
            let useOneDNN = engine.backend == .onednn || (engine.backend == .auto && engine.precision == .bf16)
            onednn = useOneDNN
                ? DNNLLayer(op: .deconv(kernel: kernel, stride: stride, padding: padding), weights: weight, bias: bias,
                            inC: inChannels, outC: outChannels, compute: engine.precision == .bf16 ? .bf16 : .f32, store: .f32)
                : nil
        }
    }

    /// The implementation that runs this layer.
    public var implementation: String {
        if let subpixel { return "\(subpixel.implementation) (1×1 to \(kernel * kernel)·C + pixel shuffle)" }
        let name = onednn.map { "oneDNN \($0.implementation)" } ?? "OpenBLAS sgemm+col2im"
        return engine.emulatesBF16 ? "\(name), bf16 emulated" : name
    }

    /// relu?(deconv(x) + bias) as sub-pixel images [N·k², Cout, H, W] in the kernel's layout (image i·k² + ky·k + kx
    /// holds output pixels (k·y + ky, k·x + kx)); `FeatureMap.tensor(interleavingSubpixels: k)` assembles them, after
    /// any per-pixel layers (the mask logits) ran on them. Only for kernel = stride, no padding.
    public func subpixels(_ x: FeatureMap, relu: Bool = false, workspace: Workspace) -> FeatureMap {
        guard let subpixel else { preconditionFailure("ConvTranspose2D.subpixels needs kernel = stride and no padding") }
        return subpixel(x, relu: relu, workspace: workspace).splittingChannels(into: kernel * kernel)
    }

    /// y = relu?(deconv(x) + bias) for x [N, Cin, H, W] → dense fp32 [N, Cout, (H−1)·s − 2p + k, (W−1)·s − 2p + k].
    public func callAsFunction(_ x: FeatureMap, relu: Bool = false, workspace: Workspace) -> Tensor {
        precondition(x.c == inChannels, "deconv expects [N,\(inChannels),H,W], got \(x.shape)")
        if subpixel != nil { return subpixels(x, relu: relu, workspace: workspace).tensor(interleavingSubpixels: kernel) }
        let dense = engine.emulatesBF16 ? BF16.round(x.tensor()) : x.tensor()
        if let onednn { return onednn.run(dense, relu: relu) }
        return col2im(dense, relu: relu, workspace: workspace)
    }

    /// The same on a dense NCHW fp32 tensor.
    public func callAsFunction(_ x: Tensor, relu: Bool = false, workspace: Workspace) -> Tensor {
        self(FeatureMap(x), relu: relu, workspace: workspace)
    }

    /// GEMM into per-pixel columns, then each column added into its k×k output patch.
    private func col2im(_ x: Tensor, relu: Bool, workspace: Workspace) -> Tensor {
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
            products.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { op in
                    for img in 0..<n {
                        // cols[(co·k+ky)·k+kx, y·W+x] = Σ_ci W[ci, co, ky, kx] · x[ci, y, x]
                        GEMM.multiply(using: engine.sgemmLibrary, m: rows, n: h * w, k: inChannels, a: wp.baseAddress!, lda: rows,
                                      transA: true, b: xp.baseAddress! + img * inChannels * h * w, ldb: h * w, transB: false,
                                      c: cols, ldc: h * w, accumulate: false)
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
