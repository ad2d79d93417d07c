#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// One prepared implementation of a transposed convolution (weights already in the layout and type it reads): reads a
/// `FeatureMap` in any layout and writes relu?(deconv(x) + bias) as a `FeatureMap` — the output itself
/// (`subpixelFactor` 1) or, for kernel = stride without padding, its k² sub-pixel images [N·k², Cout, H, W]
/// (`subpixelFactor` k: image i·k² + ky·k + kx holds output pixels (k·y + ky, k·x + kx)), so that per-pixel layers
/// after it (the mask logits) run on either before one pixel shuffle. Any thread; one workspace one call at a time.
protocol DeconvolutionKernel: AnyObject, Sendable {
    /// e.g. "oneDNN brgconv_1x1:avx512_core_bf16 (1×1 to 4·C + pixel shuffle)", "OpenBLAS sgemm+col2im".
    var implementation: String { get }
    var subpixelFactor: Int { get }
    func run(_ x: FeatureMap, relu: Bool, workspace: Workspace) -> FeatureMap
}

/// kernel = stride, no padding: each input pixel writes its own k×k patch, so the layer is a 1×1 convolution to
/// k²·Cout channels (row (ky·k + kx)·Cout + co is output pixel (ky, kx) of channel co) — a `Conv2D`, whose own kernel
/// the measured selector chooses — viewed as k² sub-pixel images.
final class SubpixelDeconvolution: DeconvolutionKernel {
    let conv: Conv2D
    let subpixelFactor: Int

    /// `weight` in PyTorch's [Cin, Cout, k, k] layout.
    init(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel: Int, rois: Bool, decision: Bool,
         engine: ComputeEngine, name: String = "") {
        var w = [Float](repeating: 0, count: weight.count)
        for ci in 0..<inChannels {
            for co in 0..<outChannels {
                for s in 0..<(kernel * kernel) {
                    w[(s * outChannels + co) * inChannels + ci] = weight[(ci * outChannels + co) * kernel * kernel + s]
                }
            }
        }
        conv = Conv2D(weight: w, bias: (0..<(kernel * kernel)).flatMap { _ in bias }, outChannels: kernel * kernel * outChannels,
                      inChannels: inChannels, kernel: 1, rois: rois, decision: decision, engine: engine, name: name)
        subpixelFactor = kernel
    }

    var implementation: String { "\(conv.implementation) (1×1 to \(subpixelFactor * subpixelFactor)·C + pixel shuffle)" }

    func run(_ x: FeatureMap, relu: Bool, workspace: Workspace) -> FeatureMap {
        conv(x, relu: relu, workspace: workspace).splittingChannels(into: subpixelFactor * subpixelFactor)
    }
}

/// oneDNN's deconvolution primitive (bf16: bf16 source and weights, fp32 accumulation), writing `store` in its own
/// layout (`plainOutput`: dense NCHW fp32).
final class DNNLDeconvolution: DeconvolutionKernel {
    let layer: DNNLLayer
    let plainOutput: Bool
    var subpixelFactor: Int { 1 }

    init(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int,
         compute: DataType, store: DataType, plainOutput: Bool) {
        layer = DNNLLayer(op: .deconv(kernel: kernel, stride: stride, padding: padding), weights: weight, bias: bias,
                          inC: inChannels, outC: outChannels, compute: compute, store: compute == .f32 ? .f32 : store)
        self.plainOutput = plainOutput
    }

    var implementation: String { "oneDNN \(layer.implementation)" }

    func run(_ x: FeatureMap, relu: Bool, workspace: Workspace) -> FeatureMap {
        let y = layer.run(x, relu: relu)
        return plainOutput ? y.laidOut(as: MemoryDesc(y.shape, .f32, dnnl_nchw)) : y
    }
}

/// GEMM into per-pixel columns (the engine's sgemm library), then each column added into its k×k output patch: the
/// reference for every shape.
final class Col2imDeconvolution: DeconvolutionKernel {
    let weight: [Float], bias: [Float]
    let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    let library: ComputeBackend
    var subpixelFactor: Int { 1 }

    init(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int,
         library: ComputeBackend) {
        (self.weight, self.bias, self.library) = (weight, bias, library)
        (self.inChannels, self.outChannels, self.kernel, self.stride, self.padding) = (inChannels, outChannels, kernel, stride, padding)
    }

    var implementation: String { "\(library.libraryName) sgemm+col2im" }

    func run(_ x: FeatureMap, relu: Bool, workspace: Workspace) -> FeatureMap {
        FeatureMap(col2im(x.tensor(), relu: relu, workspace: workspace))
    }

    private func col2im(_ x: Tensor, relu: Bool, workspace: Workspace) -> Tensor {
        let h = x.h, w = x.w, n = x.n
        let oh = (h - 1) * stride - 2 * padding + kernel
        let ow = (w - 1) * stride - 2 * padding + kernel
        let rows = outChannels * kernel * kernel
        let k = kernel, s = stride, p = padding, cout = outChannels, bias = self.bias
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
                        GEMM.multiply(using: library, m: rows, n: h * w, k: inChannels, a: wp.baseAddress!, lda: rows,
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

/// bf16 on fp32 kernels: `inner` holds weights rounded to bf16; each input is rounded before it runs.
final class EmulatedBF16Deconvolution: DeconvolutionKernel {
    let inner: any DeconvolutionKernel, draw: BF16.Draw
    init(_ inner: any DeconvolutionKernel, draw: BF16.Draw) { (self.inner, self.draw) = (inner, draw) }
    var implementation: String { "\(inner.implementation), bf16 emulated" }
    var subpixelFactor: Int { inner.subpixelFactor }
    func run(_ x: FeatureMap, relu: Bool, workspace: Workspace) -> FeatureMap {
        inner.run(FeatureMap(BF16.round(x.tensor(), draw: draw)), relu: relu, workspace: workspace)
    }
}

/// A transposed 2-D convolution: weights in PyTorch's [Cin, Cout, k, k] layout, input [N, Cin, H, W], output
/// [N, Cout, (H−1)·s − 2p + k, (W−1)·s − 2p + k]. Its kernel (`DeconvolutionKernel`) is prepared once, at construction,
/// for the engine: with kernel = stride and no padding (the mask head's 2×2/2) the sub-pixel form (a 1×1 `Conv2D` to
/// k²·Cout channels, its kernel measured like any convolution's) on every backend; other shapes (the keypoint
/// predictor's 4×4/2) sgemm + col2im on `openblas` (and `auto` in fp32), oneDNN's deconvolution on `onednn` and `auto`
/// in bf16. `decision`: outputs written in fp32. Immutable, thread-safe.
public struct ConvTranspose2D: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: [Float]
    public let bias: [Float]
    public let engine: ComputeEngine
    let prepared: any DeconvolutionKernel

    public init(weight: [Float], bias: [Float]?, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int = 0,
                rois: Bool = true, decision: Bool = false, engine: ComputeEngine = .reference, name: String = "") {
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
        prepared = engine.deconvolutionKernel(weight: weight, bias: bias, inChannels: inChannels, outChannels: outChannels,
                                                          kernel: kernel, stride: stride, padding: padding, rois: rois, decision: decision,
                                                          name: name)
    }

    /// The sub-pixel form's 1×1 convolution, which reads this layer's input (nil for the other forms; `name` is its
    /// name, so an int8 engine runs it int8 when calibrated): a layer before may feed it (`Conv2D`'s `feeding`).
    public var inputConvolution: Conv2D? { (prepared as? SubpixelDeconvolution)?.conv }

    /// The implementation that runs this layer.
    public var implementation: String { prepared.implementation }

    /// 1: `features` returns the output itself; k: its k² sub-pixel images (kernel = stride, no padding).
    public var subpixelFactor: Int { prepared.subpixelFactor }

    /// relu?(deconv(x) + bias) in the kernel's layout: the output [N, Cout, OH, OW], or, when `subpixelFactor` k > 1,
    /// its sub-pixel images [N·k², Cout, H, W] (image i·k² + ky·k + kx holds output pixels (k·y + ky, k·x + kx)).
    /// Per-pixel layers may run on either; `assembled` turns the result into the dense output.
    public func features(_ x: FeatureMap, relu: Bool = false, workspace: Workspace) -> FeatureMap {
        precondition(x.c == inChannels, "deconv expects [N,\(inChannels),H,W], got \(x.shape)")
        return prepared.run(x, relu: relu, workspace: workspace)
    }

    /// relu?(deconv(x) + bias) with its sub-pixel images as channel groups, in the kernel's layout: [N, k²·Cout, H, W],
    /// group ky·k + kx holding output pixels (k·y + ky, k·x + kx), k = `subpixelFactor` (1: the output itself). What a
    /// per-pixel layer reads without splitting the map into images (a reorder in channels-last layouts).
    public func subpixelGroups(_ x: FeatureMap, relu: Bool = false, workspace: Workspace) -> FeatureMap {
        precondition(x.c == inChannels, "deconv expects [N,\(inChannels),H,W], got \(x.shape)")
        guard let conv = inputConvolution else { return prepared.run(x, relu: relu, workspace: workspace) }
        return conv(x, relu: relu, workspace: workspace)
    }

    /// `features`' result (or per-pixel layers' on it) as a dense NCHW fp32 tensor: one pixel shuffle of sub-pixel images.
    public func assembled(_ y: FeatureMap) -> Tensor {
        subpixelFactor > 1 ? y.tensor(interleavingSubpixels: subpixelFactor) : y.tensor()
    }

    /// y = relu?(deconv(x) + bias) for x [N, Cin, H, W] → dense fp32 [N, Cout, (H−1)·s − 2p + k, (W−1)·s − 2p + k].
    public func callAsFunction(_ x: FeatureMap, relu: Bool = false, workspace: Workspace) -> Tensor {
        assembled(features(x, relu: relu, workspace: workspace))
    }

    /// The same on a dense NCHW fp32 tensor.
    public func callAsFunction(_ x: Tensor, relu: Bool = false, workspace: Workspace) -> Tensor {
        self(FeatureMap(x), relu: relu, workspace: workspace)
    }
}

extension ComputeEngine {
    /// The kernel of a transposed convolution on this engine (see `ConvTranspose2D`); the emulated bf16 rounds the
    /// weights here and each input per call (the sub-pixel form: its `Conv2D` emulates like every convolution).
    func deconvolutionKernel(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel: Int, stride: Int,
                             padding: Int, rois: Bool, decision: Bool, name: String = "") -> any DeconvolutionKernel {
        if kernel == stride && padding == 0 {
            return SubpixelDeconvolution(weight: weight, bias: bias, inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                         rois: rois, decision: decision, engine: self, name: name)
        }
        let w = emulatesBF16 ? BF16.round(weight) : weight
        let inner: any DeconvolutionKernel
        if backend == .onednn || (backend == .auto && precision == .bf16) {
            inner = DNNLDeconvolution(weight: w, bias: bias, inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                      stride: stride, padding: padding, compute: precision == .bf16 ? .bf16 : .f32,
                                      store: decision ? .f32 : storage, plainOutput: !blockedLayout)
        } else {
            inner = Col2imDeconvolution(weight: w, bias: bias, inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                        stride: stride, padding: padding, library: sgemmLibrary)
        }
        return emulatesBF16 ? EmulatedBF16Deconvolution(inner, draw: bf16Draw) : inner
    }
}
