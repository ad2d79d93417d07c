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
