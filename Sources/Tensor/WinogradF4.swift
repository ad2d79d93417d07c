#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// Winograd F(4×4, 3×3) for 3×3 stride-1 pad-1 convolutions on channel-blocked maps (nChw8c, nChw16c or NHWC, fp32
/// or bf16 — what the direct kernels write): per block of 6×6 input tiles, V = Bᵀ d B in fp32 (8 channels per SIMD
/// lane group), one batched GEMM M[ξ] = V[ξ] · U[ξ] over the 36 tile positions ([tiles × Cin] · [Cin × Cout], on
/// oneDNN's matmul), then Y = Aᵀ M A + bias (ReLU) in fp32, stored in the input's layout as `store` — 4× fewer
/// multiplies than the direct kernel (Lavin & Gray, 2016; points 0, ±1, ±2, ∞). `bf16` GEMMs take V and U as bf16
/// (fp32 accumulation); `emulated` runs them in fp32 on V and U rounded to bf16 and rounds a bf16 store, the same
/// numbers. Weights are transformed once, in double precision (U = G g Gᵀ). Any thread.
final class WinogradF4: ConvolutionKernel {
    let outChannels: Int
    let inChannels: Int
    let choice: KernelChoice
    let store: DataType
    let emulated: Bool
    let tileBlock: Int
    private let gemm: WinogradGEMM
    private let bias: [Float]

    /// `weight` [Cout, Cin, 3, 3] (PyTorch's layout); `bf16` products; outputs stored as `store` (`emulated`: fp32
    /// values rounded to bf16 when `store` is bf16 … in an fp32 buffer).
    init(weight: [Float], bias: [Float], outChannels: Int, inChannels: Int, bf16: Bool = false, store: DataType = .f32,
         emulated: Bool = false, tileBlock: Int = 512) {
        precondition(outChannels % 8 == 0 && inChannels % 8 == 0, "Winograd F(4x4,3x3) needs channels in groups of 8")
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.bias = bias
        self.store = store
        self.emulated = emulated
        self.tileBlock = tileBlock
        choice = KernelChoice(.winograd, bf16: bf16)
        gemm = WinogradGEMM(u: WinogradF4.transformedWeights(weight, outChannels: outChannels, inChannels: inChannels),
                            inChannels: inChannels, outChannels: outChannels, bf16: bf16 && !emulated, rounded: bf16 && emulated)
    }

    /// U[ξ][ci][co] for the 36 tile positions ξ = 6·row + column.
    static func transformedWeights(_ weight: [Float], outChannels k: Int, inChannels c: Int) -> [Float] {
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
        return u
    }

    var implementation: String {
        "Winograd F(4x4,3x3), \(choice.bf16 ? "bf16" : "fp32") GEMMs on oneDNN \(gemm.implementation)\(emulated ? ", bf16 emulated" : "")"
    }

    func run(_ x: FeatureMap, relu: Bool, stride: Int, accumulate: FeatureMap?, workspace: Workspace) -> FeatureMap {
        precondition(accumulate == nil && stride <= 1, "Winograd runs 3×3 stride-1 layers without a residual")
        return run(x, relu: relu)
    }

    /// relu?(conv(x) + bias) for x [N, Cin, H, W] in nChw8c, nChw16c or NHWC (anything else is converted to nChw16c
    /// or nChw8c fp32 first); the output [N, Cout, H, W] has the input's channel block and type `store`.
    func run(_ input: FeatureMap, relu: Bool) -> FeatureMap {
        precondition(input.c == inChannels, "Winograd expects \(inChannels) channels, got \(input.shape)")
        // Keep the input's layout when the output can have it: the same channel block (nChw8c, nChw16c) or NHWC.
        var x = input, inBlock = input.channelBlock ?? 1, outBlock = inBlock == input.c ? outChannels : inBlock
        if inBlock < 8 || inBlock % 8 != 0 || outChannels % outBlock != 0 {
            inBlock = inChannels % 16 == 0 && outChannels % 16 == 0 ? 16 : 8
            outBlock = inBlock
            x = input.converted(to: MemoryDesc(input.shape, .f32, FeatureMap.tag(block: inBlock, channels: inChannels)!))
        }
        let n = x.n, h = x.h, w = x.w, k = outChannels
        let outType: DataType = emulated ? .f32 : store
        let out = FeatureMap(md: MemoryDesc([n, k, h, w], outType, FeatureMap.tag(block: outBlock, channels: k)!))
        let th = (h + 3) / 4, tw = (w + 3) / 4, perImage = th * tw, total = n * perImage
        let tb = min(tileBlock, total)
        let source = WinogradF4.Plane(base: x.data, type: x.type, block: inBlock, channels: inChannels, h: h, w: w)
        let target = WinogradF4.Plane(base: out.data, type: outType, block: outBlock, channels: k, h: h, w: w)
        let tiles = TileGrid(tilesPerRow: tw, perImage: perImage)
        let roundStore = emulated && store == .bf16
        bias.withUnsafeBufferPointer { bp in
            let biasBase = SharedFloats(UnsafeMutablePointer(mutating: bp.baseAddress!))
            gemm.withBuffers(tiles: tb) { v, m in
                var start = 0
                while start < total {
                    let count = min(tb, total - start), first = start
                    let parts = (count + 7) / 8
                    Parallel.forEach(parts) { part in
                        WinogradF4.inputTiles(source, tiles, first: first, tiles: (part * 8)..<min(count, part * 8 + 8), into: v)
                    }
                    gemm.multiply(tiles: count, v: v, m: m)
                    Parallel.forEach(parts) { part in
                        WinogradF4.outputTiles(m, tiles, first: first, tiles: (part * 8)..<min(count, part * 8 + 8),
                                               bias: biasBase.base, relu: relu, round: roundStore, into: target)
                    }
                    start += count
                }
            }
        }
        return out
    }

    /// Where tile t of a run lies: its image and 4×4 output corner.
    struct TileGrid {
        let tilesPerRow: Int, perImage: Int
        @inline(__always) func locate(_ tile: Int) -> (img: Int, y: Int, x: Int) {
            let r = tile % perImage
            return (tile / perImage, (r / tilesPerRow) * 4, (r % tilesPerRow) * 4)
        }
    }

    /// A channel-blocked map's memory: element type, channel block (8, 16 or C for NHWC), sizes.
    struct Plane: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let type: DataType
        let block: Int, channels: Int, h: Int, w: Int

        /// Element offset of channel group `g` (8 channels) of image `img` at pixel (y, x).
        @inline(__always) func offset(img: Int, group g: Int, y: Int, x: Int) -> Int {
            let c8 = g * 8
            return (((img * (channels / block) + c8 / block) * h + y) * w + x) * block + c8 % block
        }
    }
}
