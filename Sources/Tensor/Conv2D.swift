#if canImport(Glibc)
import Glibc
#endif

/// A 2-D convolution with folded bias, run as GEMM: weights [Cout, Cin·kh·kw] row-major (PyTorch's layout flattened), input/output NCHW.
public struct Conv2D: Sendable {
    public let outChannels: Int
    public let inChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: [Float]
    public let bias: [Float]
    /// Winograd-transformed weights for 3×3 stride-1 pad-1 layers with enough channels to pay for the transforms.
    let winograd: Winograd?

    /// The kind of layer this is, for the per-kind backend choice.
    public let kind: LayerKind
    /// The engine the weights were prepared for.
    public let engine: ComputeEngine
    /// The oneDNN primitive set when the engine runs this layer kind on oneDNN.
    let onednn: DNNLLayer?
    /// `auto` fp32 with blocked chains: Winograd F(4×4,3×3) on the kernels' blocked layout for wide 3×3 stride-1
    /// layers (built at first use), where it measured about 2× oneDNN's direct kernel (`WinogradF4.takes`).
    let winogradF4: Lazy<WinogradF4>?

    public init(weight: [Float], bias: [Float]?, outChannels: Int, inChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                allowWinograd: Bool = true, engine: ComputeEngine = .reference) {
        precondition(weight.count == outChannels * inChannels * kernel * kernel, "conv weight size")
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.engine = engine
        // Emulated bf16: the weights are rounded once here; inputs are rounded at each call.
        let w = engine.emulatesBF16 ? BF16.round(weight) : weight
        self.weight = w
        self.bias = bias ?? [Float](repeating: 0, count: outChannels)
        let eligible = allowWinograd && Winograd.enabled && kernel == 3 && stride == 1 && padding == 1 && inChannels >= 128
        kind = kernel >= 5 ? .stem : kernel == 1 ? .conv1x1 : stride > 1 ? .conv3x3Strided : inChannels >= 128 ? .conv3x3Wide : .conv3x3Narrow
        if engine.backend(for: kind) == .onednn {
            onednn = DNNLLayer(op: .conv(kernel: kernel, stride: stride, padding: padding), weights: w, bias: self.bias,
                               inC: inChannels, outC: outChannels, bf16: engine.precision == .bf16)
            winograd = nil
            let b = self.bias
            winogradF4 = eligible && WinogradF4.takes(inChannels: inChannels, outChannels: outChannels) && engine.requestedBackend == .auto
                && engine.precision == .fp32 && engine.blockedLayout
                ? Lazy { WinogradF4(weight: w, bias: b, outChannels: outChannels, inChannels: inChannels) } : nil
        } else {
            onednn = nil
            winogradF4 = nil
            winograd = eligible ? Winograd(weight: w, outChannels: outChannels, inChannels: inChannels) : nil
        }
    }

    /// The implementation that runs this layer, e.g. "oneDNN jit_1x1:avx2" or "OpenBLAS Winograd F(2x2,3x3)".
    public var implementation: String {
        if let onednn {
            if winogradF4 != nil {
                let f4 = "Winograd F(4x4,3x3) blocked + oneDNN sgemm"
                return WinogradF4.routes(inChannels: inChannels, n: 1) ? f4 : "oneDNN \(onednn.implementation); \(f4) for ≥ 8 maps"
            }
            return "oneDNN " + onednn.implementation
        }
        return winograd != nil ? "OpenBLAS Winograd F(2x2,3x3)" : "OpenBLAS im2col+sgemm"
    }

    /// Output spatial size for an input of `h`×`w`.
    public func outputSize(h: Int, w: Int) -> (h: Int, w: Int) {
        ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }

    /// y = relu?(conv(x) + bias + residual?) for x [N, Cin, H, W]; `residual`, if given, has the output's shape.
    /// Images are packed side by side into one column matrix [Cin·k·k, N·OH·OW] so a batch of small maps (RoIs)
    /// is one large GEMM; a single 1×1 stride-1 conv multiplies the input directly.
    public func callAsFunction(_ x: Tensor, relu: Bool = false, residual: Tensor? = nil, workspace: Workspace) -> Tensor {
        precondition(x.rank == 4 && x.c == inChannels, "conv expects [N,\(inChannels),H,W], got \(x.shape)")
        if engine.emulatesBF16 { return run(BF16.round(x), relu: relu, residual: residual, workspace: workspace) }
        return run(x, relu: relu, residual: residual, workspace: workspace)
    }

    private func run(_ x: Tensor, relu: Bool, residual: Tensor?, workspace: Workspace) -> Tensor {
        if let f4 = winogradF4, residual == nil, WinogradF4.routes(inChannels: inChannels, n: x.n) {
            return f4.value.run(BlockedTensor(x), relu: relu).tensor()
        }
        if let onednn { return onednn.run(x, relu: relu, residual: residual, workspace: workspace) }
        let (oh, ow) = outputSize(h: x.h, w: x.w)
        let n = x.n, hw = oh * ow, k = inChannels * kernel * kernel, cols = n * hw
        if let r = residual { precondition(r.shape == [n, outChannels, oh, ow], "residual shape") }
        if let winograd {
            if n > 1 && x.w <= 32 {
                // Many small maps (RoIs): lay them side by side, each followed by zero columns up to an even width
                // + 2, so the tile grid stays aligned per map, zero padding between maps is exact, and whole tile
                // rows take the vector path; then read each map's columns back out.
                let packed = Winograd.packSideBySide(x)
                var y = Tensor(zeros: [1, outChannels, packed.h, packed.w])
                y.data.withUnsafeMutableBufferPointer { winograd.run(packed, into: $0.baseAddress!, workspace: workspace) }
                return Tensor(shape: [n, outChannels, oh, ow]) { o in
                    Winograd.unpackSideBySide(y, images: n, width: ow, into: o.baseAddress!)
                    Epilogue.apply(gemm: o.baseAddress!, out: o.baseAddress!, images: n, channels: outChannels, hw: hw,
                                   bias: bias, residual: residual, relu: relu, imageMajor: true)
                }
            }
            return Tensor(shape: [n, outChannels, oh, ow]) { o in
                winograd.run(x, into: o.baseAddress!, workspace: workspace)
                Epilogue.apply(gemm: o.baseAddress!, out: o.baseAddress!, images: n, channels: outChannels, hw: hw,
                               bias: bias, residual: residual, relu: relu, imageMajor: true)
            }
        }
        let direct = n == 1 && kernel == 1 && stride == 1 && padding == 0
        return x.data.withUnsafeBufferPointer { xp in
            let colBuf: UnsafePointer<Float>
            if direct {
                colBuf = xp.baseAddress!
            } else {
                let buf = workspace.buffer(0, count: k * cols)
                let shared = SharedFloats(buf), src = SharedFloats(UnsafeMutablePointer(mutating: xp.baseAddress!))
                let (c, h, w, kk, s, p) = (inChannels, x.h, x.w, kernel, stride, padding)
                // Parallel over (image, channel): each writes its own kk² rows' segment.
                Parallel.forEach(n * c) { job in
                    let img = job / c, ch = job % c
                    Im2Col.channel(src: src.base + (img * c + ch) * h * w, h: h, w: w, kernel: kk, stride: s, padding: p,
                                   oh: oh, ow: ow, dst: shared.base + ch * kk * kk * cols + img * hw, ld: cols)
                }
                colBuf = UnsafePointer(buf)
            }
            // GEMM into [Cout, N·HW] (straight into the output when N = 1), then one fused epilogue pass.
            return Tensor(shape: [n, outChannels, oh, ow]) { o in
                let gemmOut = n == 1 ? o.baseAddress! : workspace.buffer(1, count: outChannels * cols)
                weight.withUnsafeBufferPointer { wp in
                    GEMM.multiply(m: outChannels, n: cols, k: k, a: wp.baseAddress!, lda: k, b: colBuf, ldb: cols,
                                  c: gemmOut, ldc: cols)
                }
                Epilogue.apply(gemm: gemmOut, out: o.baseAddress!, images: n, channels: outChannels, hw: hw,
                               bias: bias, residual: residual, relu: relu)
            }
        }
    }
}

/// A value built at first use (most layers never need their Winograd weights); thread-safe.
final class Lazy<Value: Sendable>: @unchecked Sendable {
    private let build: @Sendable () -> Value
    private var built: Value?
    private var lock = pthread_mutex_t()

    init(_ build: @escaping @Sendable () -> Value) {
        self.build = build
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    var value: Value {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let built { return built }
        let v = build()
        built = v
        return v
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

extension Optional where Wrapped == Tensor {
    func withData<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .none: return body(nil)
        case .some(let t): return t.data.withUnsafeBufferPointer { body($0.baseAddress!) }
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
