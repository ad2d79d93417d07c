#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// Times each layer kind of the model at its real shapes on both backends (same weights and input, alternating,
/// best of `repeats`), the measurement behind `ComputeEngine.auto`. Prints nothing; for `mrcnn bench --layers`.
public enum LayerBenchmark {
    /// One timed layer on one backend.
    public struct Row: Sendable {
        public let kind: LayerKind
        public let shape: String
        public let backend: ComputeBackend
        public let implementation: String
        public let milliseconds: Double
        public let gflops: Double
    }

    enum Case {
        case conv(LayerKind, n: Int, cin: Int, cout: Int, k: Int, s: Int, p: Int, h: Int, w: Int)
        case deconv(n: Int, cin: Int, cout: Int, k: Int, s: Int, h: Int, w: Int)
        case linear(n: Int, inF: Int, outF: Int)
    }

    /// The model's layers at a padded input of `h`×`w` (short side 480: 480×640), 100 mask RoIs, 1000 box RoIs.
    static func cases(h: Int, w: Int) -> [Case] {
        [.conv(.stem, n: 1, cin: 3, cout: 64, k: 7, s: 2, p: 3, h: h, w: w),
         .conv(.conv1x1, n: 1, cin: 256, cout: 64, k: 1, s: 1, p: 0, h: h / 4, w: w / 4),
         .conv(.conv1x1, n: 1, cin: 64, cout: 256, k: 1, s: 1, p: 0, h: h / 4, w: w / 4),
         .conv(.conv1x1, n: 1, cin: 1024, cout: 256, k: 1, s: 1, p: 0, h: h / 16, w: w / 16),
         .conv(.conv3x3Narrow, n: 1, cin: 64, cout: 64, k: 3, s: 1, p: 1, h: h / 4, w: w / 4),
         .conv(.conv3x3Strided, n: 1, cin: 128, cout: 128, k: 3, s: 2, p: 1, h: h / 4, w: w / 4),
         .conv(.conv3x3Wide, n: 1, cin: 256, cout: 256, k: 3, s: 1, p: 1, h: h / 4, w: w / 4),
         .conv(.conv3x3Wide, n: 1, cin: 256, cout: 256, k: 3, s: 1, p: 1, h: h / 16, w: w / 16),
         .conv(.conv3x3Wide, n: 1, cin: 256, cout: 256, k: 3, s: 1, p: 1, h: h / 8, w: w / 8),
         .conv(.conv3x3Wide, n: 1, cin: 128, cout: 128, k: 3, s: 1, p: 1, h: h / 8, w: w / 8),
         .conv(.conv3x3Wide, n: 1, cin: 512, cout: 512, k: 3, s: 1, p: 1, h: h / 32, w: w / 32),
         .conv(.conv3x3Wide, n: 100, cin: 256, cout: 256, k: 3, s: 1, p: 1, h: 14, w: 14),
         .conv(.conv3x3Wide, n: 32, cin: 256, cout: 256, k: 3, s: 1, p: 1, h: 14, w: 14),
         .conv(.conv3x3Wide, n: 32, cin: 512, cout: 512, k: 3, s: 1, p: 1, h: 14, w: 14),
         .conv(.conv1x1, n: 100, cin: 256, cout: 91, k: 1, s: 1, p: 0, h: 28, w: 28),
         .deconv(n: 100, cin: 256, cout: 256, k: 2, s: 2, h: 14, w: 14),
         .linear(n: 1000, inF: 12544, outF: 1024),
         .linear(n: 1000, inF: 1024, outF: 1024)]
    }

    public static func run(h: Int = 480, w: Int = 640, precision: Precision = .fp32, repeats: Int = 3) -> [Row] {
        var rng = SplitMix(seed: 7)
        func random(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { _ in rng.nextFloat() * scale } }
        let ws = Workspace()
        var rows: [Row] = []
        for c in cases(h: h, w: w) {
            var runs: [(ComputeBackend, String, () -> Void)] = []
            var flops = 0.0, kind = LayerKind.linear, shape = ""
            for backend in [ComputeBackend.openblas, .onednn] {
                let engine = ComputeEngine(backend: backend, precision: precision)
                switch c {
                case let .conv(k, n, cin, cout, kk, s, p, hh, ww):
                    let conv = Conv2D(weight: random(cout * cin * kk * kk, 0.05), bias: random(cout, 0.1), outChannels: cout,
                                      inChannels: cin, kernel: kk, stride: s, padding: p, engine: engine)
                    let x = Tensor(shape: [n, cin, hh, ww], data: random(n * cin * hh * ww, 1))
                    let (oh, ow) = conv.outputSize(h: hh, w: ww)
                    flops = 2.0 * Double(n * cout * cin * kk * kk * oh * ow)
                    kind = k
                    shape = "\(kk)x\(kk)/\(s) \(cin)->\(cout) \(n > 1 ? "\(n)x" : "")\(hh)x\(ww)"
                    runs.append((backend, conv.implementation, { _ = conv(x, relu: true, workspace: ws) }))
                    // In a blocked chain: the input already in the kernel's layout, no reorders around it.
                    if backend == .onednn, let layer = conv.onednn {
                        let bx = BlockedTensor(x).converted(to: layer.sourceLayout(n: n, h: hh, w: ww))
                        runs.append((.onednn, conv.implementation + " (blocked)", { _ = conv.blocked(bx, relu: true) }))
                        if k == .conv3x3Wide && s == 1 {
                            let f4 = WinogradF4(weight: conv.weight, bias: conv.bias, outChannels: cout, inChannels: cin)
                            runs.append((.onednn, "Winograd F(4x4,3x3) (blocked)", { _ = f4.run(bx, relu: true) }))
                        }
                    }
                case let .deconv(n, cin, cout, kk, s, hh, ww):
                    let d = ConvTranspose2D(weight: random(cin * cout * kk * kk, 0.05), bias: random(cout, 0.1), inChannels: cin,
                                            outChannels: cout, kernel: kk, stride: s, engine: engine)
                    let x = Tensor(shape: [n, cin, hh, ww], data: random(n * cin * hh * ww, 1))
                    flops = 2.0 * Double(n * cin * cout * kk * kk * hh * ww)
                    kind = .deconv
                    shape = "\(kk)x\(kk)/\(s) \(cin)->\(cout) \(n)x\(hh)x\(ww)"
                    runs.append((backend, d.implementation, { _ = d(x, relu: true, workspace: ws) }))
                case let .linear(n, inF, outF):
                    let l = Linear(weight: random(inF * outF, 0.01), bias: random(outF, 0.1), inFeatures: inF, outFeatures: outF,
                                   engine: engine)
                    let x = Tensor(shape: [n, inF], data: random(n * inF, 1))
                    flops = 2.0 * Double(n * inF * outF)
                    kind = .linear
                    shape = "\(n)x\(inF)->\(outF)"
                    runs.append((backend, l.implementation, { _ = l(x, relu: true, workspace: ws) }))
                }
            }
            for r in runs { r.2() }   // warm up: primitives, buffers
            var best = [Double](repeating: .infinity, count: runs.count)
            for _ in 0..<repeats {
                for (i, r) in runs.enumerated() {
                    let t0 = now()
                    r.2()
                    best[i] = min(best[i], now() - t0)
                }
            }
            for (i, r) in runs.enumerated() {
                rows.append(Row(kind: kind, shape: shape, backend: r.0, implementation: r.1, milliseconds: best[i] * 1000,
                                gflops: flops / best[i] / 1e9))
            }
        }
        return rows
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

/// Times representative 3×3 stride-1 layers as im2col + GEMM and as Winograd F(2×2,3×3) (same weights and input,
/// each `repeats` times, alternating, both twice) on the reference engine; for `mrcnn bench --convolutions`.
/// Prints nothing; runs on the calling thread.
public enum ConvolutionBenchmark {
    /// One timing of one layer shape (`count` maps of `channels`×`height`×`width`, `channels` → `channels`).
    public struct Row: Sendable {
        public let channels: Int
        public let height: Int
        public let width: Int
        public let count: Int
        /// "im2col" or "winograd".
        public let implementation: String
        /// Mean wall time of one call.
        public let milliseconds: Double
        /// Direct-convolution FLOPs over the wall time, whichever algorithm ran.
        public let gflops: Double
    }

    /// The shapes timed: (channels, height, width, count) of a large and a small FPN level, ResNet layer 1, and
    /// 100 mask-head RoIs.
    public static let shapes = [(256, 200, 272, 1), (256, 50, 68, 1), (64, 200, 272, 1), (256, 14, 14, 100)]

    public static func run(repeats: Int = 3) -> [Row] {
        var rng = SplitMix(seed: 11)
        let ws = Workspace()
        var rows: [Row] = []
        for (c, h, w, n) in shapes {
            let wt = (0..<(c * c * 9)).map { _ in rng.nextFloat() * 0.05 }
            let x = Tensor(shape: [n, c, h, w], data: (0..<(n * c * h * w)).map { _ in rng.nextFloat() })
            let a = Conv2D(weight: wt, bias: nil, outChannels: c, inChannels: c, kernel: 3, stride: 1, padding: 1, allowWinograd: false)
            let b = Conv2D(weight: wt, bias: nil, outChannels: c, inChannels: c, kernel: 3, stride: 1, padding: 1, allowWinograd: true)
            for (name, conv) in [("im2col", a), ("winograd", b), ("im2col", a), ("winograd", b)] {
                let t0 = LayerBenchmark.now()
                for _ in 0..<repeats { _ = conv(x, workspace: ws) }
                let ms = (LayerBenchmark.now() - t0) * 1000 / Double(repeats)
                rows.append(Row(channels: c, height: h, width: w, count: n, implementation: name, milliseconds: ms,
                                gflops: 2.0 * Double(c * c * 9 * h * w * n) / ms / 1e6))
            }
        }
        return rows
    }
}
