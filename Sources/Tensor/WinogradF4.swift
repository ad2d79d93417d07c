#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// Winograd F(4×4, 3×3) for 3×3 stride-1 pad-1 convolutions on channel-blocked fp32 maps (nChw8c / nChw16c, the
/// layout oneDNN's kernels write): per block of 6×6 input tiles, V = Bᵀ d B (8 channels per SIMD lane group), 36
/// GEMMs M[ξ] = V[ξ] · U[ξ] ([tiles × Cin] · [Cin × Cout]), then Y = Aᵀ M A + bias (ReLU) written in the input's
/// layout — 4× fewer multiplies than the direct kernel (Lavin & Gray, 2016; points 0, ±1, ±2, ∞). Weights are
/// transformed once, in double precision (U = G g Gᵀ, [36, Cin, Cout]). Any thread; one call at a time per buffer.
final class WinogradF4: Sendable {
    let outChannels: Int
    let inChannels: Int
    /// U[ξ][ci][co] for the 36 tile positions ξ = 6·row + column.
    private let u: [Float]
    private let bias: [Float]

    init(weight: [Float], bias: [Float], outChannels: Int, inChannels: Int) {
        precondition(outChannels % 8 == 0 && inChannels % 8 == 0, "Winograd F(4x4,3x3) needs channels in groups of 8")
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.bias = bias
        let k = outChannels, c = inChannels
        let g: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                             [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        var u = [Float](repeating: 0, count: 36 * c * k)
        var wt = [Double](repeating: 0, count: 9), t = [Double](repeating: 0, count: 18)
        for co in 0..<k {
            for ci in 0..<c {
                for i in 0..<9 { wt[i] = Double(weight[(co * c + ci) * 9 + i]) }
                // t = G w (6×3), then U = t Gᵀ (6×6).
                for a in 0..<6 {
                    for j in 0..<3 { t[a * 3 + j] = g[a][0] * wt[j] + g[a][1] * wt[3 + j] + g[a][2] * wt[6 + j] }
                }
                for a in 0..<6 {
                    for b in 0..<6 {
                        let v = t[a * 3] * g[b][0] + t[a * 3 + 1] * g[b][1] + t[a * 3 + 2] * g[b][2]
                        u[((a * 6 + b) * c + ci) * k + co] = Float(v)
                    }
                }
            }
        }
        self.u = u
    }

    /// Off when the environment sets MRCNN_WINOGRAD_F4=0 (for A/B measurements).
    static let enabled: Bool = {
        guard let v = getenv("MRCNN_WINOGRAD_F4") else { return true }
        return String(cString: v) != "0"
    }()

    /// The layers `auto` may run on this kernel: 3×3 stride-1 with 128–512 input channels; see `routes`.
    static func takes(inChannels: Int, outChannels: Int) -> Bool {
        enabled && inChannels >= 128 && inChannels <= 512 && inChannels % 8 == 0 && outChannels % 8 == 0
    }

    /// Whether a batch of `n` maps runs here rather than on oneDNN's direct kernel: always up to 256 input channels
    /// (ResNet layers 2–3, FPN, RPN, mask head: about 2× faster, `mrcnn bench --layers`); at 512 only for RoI batches
    /// (the keypoint head), not ResNet layer 4's single 15×20 map, where the gain was ~10 % for 4× its weight memory
    /// (U, built at first use, is 36/9 of the weights).
    static func routes(inChannels: Int, n: Int) -> Bool { inChannels <= 256 || n >= 8 }

    /// Tiles per GEMM block: V and M blocks are 36 · channels · tiles floats each (18.9 MB at 256 channels).
    static let tileBlock: Int = {
        if let v = getenv("MRCNN_WINOGRAD_TILES").flatMap({ Int(String(cString: $0)) }), v >= 8 { return v }
        return 512
    }()

    /// relu?(conv(x) + bias) for x [N, Cin, H, W] in nChw8c or nChw16c (anything else is reordered to nChw8c first);
    /// the output [N, Cout, H, W] has the input's layout.
    func run(_ input: BlockedTensor, relu: Bool) -> BlockedTensor {
        precondition(input.c == inChannels, "Winograd expects \(inChannels) channels, got \(input.shape)")
        let x: BlockedTensor, block: Int
        if let b = input.channelBlock, b > 1, outChannels % b == 0 { x = input; block = b } else {
            x = input.converted(to: DNNL.md(input.shape, dnnl_f32, dnnl_nChw8c)); block = 8
        }
        let n = x.n, h = x.h, w = x.w, c = inChannels, k = outChannels
        let out = BlockedTensor(md: DNNL.md([n, k, h, w], dnnl_f32, block == 8 ? dnnl_nChw8c : dnnl_nChw16c))
        let th = (h + 3) / 4, tw = (w + 3) / 4, perImage = th * tw, total = n * perImage
        let tb = min(WinogradF4.tileBlock, total)
        let scratch = WinogradF4.scratch.take(count: 36 * tb * (c + k))
        defer { WinogradF4.scratch.give(scratch) }
        let v = scratch.base, m = scratch.base + 36 * tb * c
        let geometry = Geometry(h: h, w: w, tilesPerRow: tw, perImage: perImage, block: block)
        let src = SharedFloats(x.data.assumingMemoryBound(to: Float.self))
        let dst = SharedFloats(out.data.assumingMemoryBound(to: Float.self))
        let vs = SharedFloats(v), ms = SharedFloats(m)
        u.withUnsafeBufferPointer { up in
            bias.withUnsafeBufferPointer { bp in
                let biasBase = SharedFloats(UnsafeMutablePointer(mutating: bp.baseAddress!))
                var start = 0
                while start < total {
                    let count = min(tb, total - start), first = start
                    let parts = (count + 7) / 8
                    Parallel.forEach(parts) { part in
                        WinogradF4.inputTiles(src.base, geometry, channels: c, first: first,
                                              tiles: (part * 8)..<min(count, part * 8 + 8), into: vs.base)
                    }
                    for xi in 0..<36 {
                        GEMM.multiply(using: .onednn, m: count, n: k, k: c, a: vs.base + xi * c, lda: 36 * c, transA: false,
                                      b: up.baseAddress! + xi * c * k, ldb: k, transB: false,
                                      c: ms.base + xi * k, ldc: 36 * k, accumulate: false)
                    }
                    Parallel.forEach(parts) { part in
                        WinogradF4.outputTiles(ms.base, geometry, channels: k, first: first,
                                               tiles: (part * 8)..<min(count, part * 8 + 8), bias: biasBase.base, relu: relu,
                                               into: dst.base)
                    }
                    start += count
                }
            }
        }
        return out
    }

    /// V and M buffers kept between calls (fresh pages of this size would fault in on every layer).
    static let scratch = ScratchPool()

    /// Map size, tile grid and channel block of one run.
    struct Geometry {
        let h: Int, w: Int, tilesPerRow: Int, perImage: Int, block: Int
        /// Float offset of channel group `g` (8 channels) of image `img` at pixel (y, x), for `channels` channels.
        @inline(__always)
        func offset(img: Int, channels: Int, group g: Int, y: Int, x: Int) -> Int {
            let c8 = g * 8
            return (((img * (channels / block) + c8 / block) * h + y) * w + x) * block + c8 % block
        }
    }
}

/// Float buffers reused across calls and threads: `take` hands out a kept buffer of at least `count` floats (or a
/// new one), `give` returns it; at most two are kept (one per concurrently computing model stage).
final class ScratchPool: @unchecked Sendable {
    struct Buffer { let base: UnsafeMutablePointer<Float>; let count: Int }
    private var kept: [Buffer] = []
    private var lock = pthread_mutex_t()

    init() { pthread_mutex_init(&lock, nil) }

    func take(count: Int) -> Buffer {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let i = kept.firstIndex(where: { $0.count >= count }) { return kept.remove(at: i) }
        if let small = kept.popLast() { small.base.deallocate() }
        return Buffer(base: .allocate(capacity: count), count: count)
    }

    func give(_ buffer: Buffer) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        kept.append(buffer)
        if kept.count > 2 { kept.sort { $0.count > $1.count }; kept.removeLast().base.deallocate() }
    }
}
