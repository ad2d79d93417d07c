#if canImport(Glibc)
import Glibc
#endif

/// Times the model's layer shapes on every kernel a layer of that shape can run — the candidates `KernelSelector`
/// chooses among in the given precision (direct and Winograd, fp32 and bf16: its own measurement, at the full shape,
/// with each candidate's error against fp32 in bf16) and the OpenBLAS reference — and marks the one `auto` takes.
/// Prints nothing; for `mrcnn bench --layers`.
public enum LayerBenchmark {
    /// One timed kernel of one layer shape.
    public struct Row: Sendable {
        public let kind: LayerKind
        public let shape: String
        /// "OpenBLAS", or the `KernelChoice` description ("bf16 Winograd").
        public let candidate: String
        public let implementation: String
        public let milliseconds: Double
        public let gflops: Double
        /// Relative L2 error against fp32 direct on this input (bf16 precision; 0 otherwise).
        public let error: Double
        /// Whether `auto` (measured) runs this candidate.
        public let chosen: Bool
    }

    struct Case {
        let kind: LayerKind, n: Int, cin: Int, cout: Int, k: Int, s: Int, h: Int, w: Int
        var rois: Bool { n > 1 }
    }

    /// The model's layers at a padded input of `h`×`w` (short side 480: 480×640), 100 mask RoIs in chunks of 32.
    static func cases(h: Int, w: Int) -> [Case] {
        [Case(kind: .stem, n: 1, cin: 3, cout: 64, k: 7, s: 2, h: h, w: w),
         Case(kind: .conv1x1, n: 1, cin: 256, cout: 64, k: 1, s: 1, h: h / 4, w: w / 4),
         Case(kind: .conv1x1, n: 1, cin: 64, cout: 256, k: 1, s: 1, h: h / 4, w: w / 4),
         Case(kind: .conv1x1, n: 1, cin: 1024, cout: 256, k: 1, s: 1, h: h / 16, w: w / 16),
         Case(kind: .conv3x3Narrow, n: 1, cin: 64, cout: 64, k: 3, s: 1, h: h / 4, w: w / 4),
         Case(kind: .conv3x3Strided, n: 1, cin: 128, cout: 128, k: 3, s: 2, h: h / 4, w: w / 4),
         Case(kind: .conv3x3Wide, n: 1, cin: 128, cout: 128, k: 3, s: 1, h: h / 8, w: w / 8),
         Case(kind: .conv3x3Wide, n: 1, cin: 256, cout: 256, k: 3, s: 1, h: h / 4, w: w / 4),
         Case(kind: .conv3x3Wide, n: 1, cin: 256, cout: 256, k: 3, s: 1, h: h / 8, w: w / 8),
         Case(kind: .conv3x3Wide, n: 1, cin: 256, cout: 256, k: 3, s: 1, h: h / 16, w: w / 16),
         Case(kind: .conv3x3Wide, n: 1, cin: 512, cout: 512, k: 3, s: 1, h: h / 32, w: w / 32),
         Case(kind: .conv3x3Wide, n: 32, cin: 256, cout: 256, k: 3, s: 1, h: 14, w: 14),
         Case(kind: .conv3x3Wide, n: 32, cin: 512, cout: 512, k: 3, s: 1, h: 14, w: 14),
         Case(kind: .deconv, n: 32, cin: 256, cout: 1024, k: 1, s: 1, h: 14, w: 14),
         Case(kind: .conv1x1, n: 128, cin: 256, cout: 91, k: 1, s: 1, h: 14, w: 14)]
    }

    public static func run(h: Int = 480, w: Int = 640, precision: Precision = .fp32, repeats: Int = 3) -> [Row] {
        var rng = SplitMix(seed: 7)
        func random(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { _ in rng.nextFloat() * scale } }
        let engine = ComputeEngine(backend: .auto, precision: precision, kernels: .measured)
        let ws = Workspace()
        var rows: [Row] = []
        for c in cases(h: h, w: w) {
            let g = ConvolutionGeometry(outChannels: c.cout, inChannels: c.cin, kernel: c.k, stride: c.s, padding: c.k / 2)
            let weights = random(c.cout * c.cin * c.k * c.k, 0.05), bias = random(c.cout, 0.1)
            let slot = ConvolutionSlot(g, weights: weights, bias: bias, engine: engine, rois: c.rois, decision: false, winograd: true)
            let selector = KernelSelector(slot: slot)
            let x = FeatureMap(Tensor(shape: [c.n, c.cin, c.h, c.w], data: random(c.n * c.cin * c.h * c.w, 1)))
            let (choice, _, entry, kernels) = selector.measure(selector.candidates, sample: x, capped: false)
            let reference = ReferenceConvolution(g, weights: weights, bias: bias, winograd: true, library: engine.sgemmLibrary)
            var openblas = Double.infinity
            for round in 0...repeats {
                let t0 = now()
                _ = reference.run(x, relu: true, stride: 0, accumulate: nil, workspace: ws)
                if round > 0 { openblas = min(openblas, now() - t0) }
            }
            let (oh, ow) = g.outputSize(h: c.h, w: c.w)
            let flops = 2.0 * Double(c.n * c.cout * c.cin * c.k * c.k * oh * ow)
            let shape = "\(c.k)x\(c.k)/\(c.s) \(c.cin)->\(c.cout) \(c.n > 1 ? "\(c.n)x" : "")\(c.h)x\(c.w)"
            for (candidate, kernel) in zip(selector.candidates, kernels) {
                let ms = entry.milliseconds[candidate.description]!
                rows.append(Row(kind: c.kind, shape: shape, candidate: candidate.description,
                                implementation: kernel.implementation, milliseconds: ms,
                                gflops: flops / ms / 1e6, error: entry.errors[candidate.description] ?? 0, chosen: candidate == choice))
            }
            rows.append(Row(kind: c.kind, shape: shape, candidate: "OpenBLAS", implementation: reference.implementation,
                            milliseconds: openblas * 1000, gflops: flops / openblas / 1e9, error: 0, chosen: false))
        }
        return rows
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
