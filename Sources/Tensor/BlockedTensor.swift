#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// A feature map [N, C, H, W] held in the memory layout a oneDNN kernel chose (e.g. nChw8c on AVX2, fp32), passed
/// from one oneDNN layer to the next so a chain of layers reorders once at its input and once per output it hands
/// to NCHW code (see `Conv2D.blocked`). Owns its buffer; one thread at a time (not `Sendable`).
public final class BlockedTensor {
    /// Logical NCHW dimensions.
    public let shape: [Int]
    let md: dnnl_memory_desc_t
    private let storage: Storage
    var data: UnsafeMutableRawPointer { storage.base }
    private var byteCount: Int { storage.byteCount }

    /// A 64-byte aligned buffer, shared by a tensor and its views.
    private final class Storage {
        let base: UnsafeMutableRawPointer
        let byteCount: Int
        init(byteCount: Int) {
            self.byteCount = byteCount
            base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 4), alignment: 64)
        }
        deinit { base.deallocate() }
    }

    /// An uninitialised tensor in layout `md` (dimensions taken from it).
    init(md: dnnl_memory_desc_t) {
        shape = BlockedTensor.dims(md)
        self.md = md
        storage = Storage(byteCount: DNNL.bytes(md))
    }

    /// A copy of an NCHW tensor, plain layout: the first oneDNN layer that reads it reorders it into its own.
    public convenience init(_ x: Tensor) {
        precondition(x.rank == 4, "BlockedTensor holds [N, C, H, W], got \(x.shape)")
        self.init(md: DNNL.md(x.shape, dnnl_f32, dnnl_nchw))
        x.data.withUnsafeBytes { data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// A copy of an NCHW tensor in the channel-blocked layout nChw8c (`channelBlock` 8, AVX2 kernels) or nChw16c
    /// (16, AVX-512 kernels): what a chain's kernels write on such a CPU; C must be a multiple of the block.
    public convenience init(_ x: Tensor, channelBlock: Int) {
        precondition(channelBlock == 8 || channelBlock == 16, "channel block 8 or 16, got \(channelBlock)")
        precondition(x.rank == 4 && x.c % channelBlock == 0, "\(x.shape) has no whole blocks of \(channelBlock) channels")
        self.init(md: DNNL.md(x.shape, dnnl_f32, channelBlock == 8 ? dnnl_nChw8c : dnnl_nChw16c))
        x.data.withUnsafeBytes { DNNL.reorder(from: DNNL.md(x.shape, dnnl_f32, dnnl_nchw), $0.baseAddress!, to: md, data) }
    }

    /// A tensor laid out as `md` sharing nothing with `self`: `self` reordered (or copied when the layouts match).
    func converted(to target: dnnl_memory_desc_t) -> BlockedTensor {
        let out = BlockedTensor(md: target)
        if DNNL.equal(md, target) { out.data.copyMemory(from: data, byteCount: byteCount); return out }
        DNNL.reorder(from: md, data, to: target, out.data)
        return out
    }

    public var n: Int { shape[0] }
    public var c: Int { shape[1] }
    public var h: Int { shape[2] }
    public var w: Int { shape[3] }

    /// The values as a dense NCHW fp32 tensor.
    public func tensor() -> Tensor {
        let plain = DNNL.md(shape, dnnl_f32, dnnl_nchw)
        return Tensor(shape: shape) { o in
            let dst = UnsafeMutableRawPointer(o.baseAddress!)
            if DNNL.equal(md, plain) { dst.copyMemory(from: data, byteCount: o.count * 4); return }
            DNNL.reorder(from: md, data, to: plain, dst)
        }
    }

    /// The channel block of the layout: 1 for plain NCHW, 8 for nChw8c, 16 for nChw16c, nil for any other.
    var channelBlock: Int? {
        for (tag, block) in [(dnnl_nchw, 1), (dnnl_nChw8c, 8), (dnnl_nChw16c, 16)] where c % block == 0 {
            if DNNL.equal(md, DNNL.md(shape, dnnl_f32, tag)) { return block }
        }
        return nil
    }

    /// The same memory seen as [N·f, C/f, H, W]: image i's channel group g becomes image i·f + g. Possible without
    /// moving data when the layout is plain NCHW or channel-blocked (nChw8c, nChw16c) with blocks dividing C/f;
    /// otherwise the values are reordered to NCHW first.
    public func splittingChannels(into f: Int) -> BlockedTensor {
        precondition(c % f == 0, "cannot split \(c) channels into \(f) groups")
        if let block = channelBlock, (c / f) % block == 0 {
            let tag = block == 1 ? dnnl_nchw : block == 8 ? dnnl_nChw8c : dnnl_nChw16c
            return BlockedTensor(viewing: self, md: DNNL.md([n * f, c / f, h, w], dnnl_f32, tag))
        }
        return converted(to: DNNL.md(shape, dnnl_f32, dnnl_nchw)).splittingChannels(into: f)
    }

    /// `other`'s buffer under another descriptor of the same size (writes through one show in the other).
    private init(viewing other: BlockedTensor, md: dnnl_memory_desc_t) {
        precondition(DNNL.bytes(md) == other.byteCount, "view of a different size")
        shape = BlockedTensor.dims(md)
        self.md = md
        storage = other.storage
    }

    static func dims(_ md: dnnl_memory_desc_t) -> [Int] {
        let n = Int(md.ndims)
        return withUnsafeBytes(of: md.dims) { raw in (0..<n).map { Int(raw.load(fromByteOffset: $0 * 8, as: Int64.self)) } }
    }

    /// Sub-pixel images [N·f², C, H, W] (image i·f² + ky·f + kx holds output pixels (f·y + ky, f·x + kx)) interleaved
    /// into a dense NCHW tensor [N, C, f·H, f·W]: the pixel shuffle after a non-overlapping transposed convolution.
    public func tensor(interleavingSubpixels f: Int) -> Tensor {
        let sub = tensor()
        let n = self.n / (f * f), c = self.c, h = self.h, w = self.w, oh = h * f, ow = w * f
        precondition(n * f * f == self.n, "\(self.n) sub-pixel images are not a multiple of \(f * f)")
        return sub.data.withUnsafeBufferPointer { sp in
            Tensor(shape: [n, c, oh, ow]) { o in
                let src = SharedFloats(UnsafeMutablePointer(mutating: sp.baseAddress!)), dst = SharedFloats(o.baseAddress!)
                Parallel.forEach(n * c) { plane in
                    let img = plane / c, ch = plane % c
                    let out = dst.base + plane * oh * ow
                    for s in 0..<(f * f) {
                        let ky = s / f, kx = s % f
                        let inp = src.base + ((img * f * f + s) * c + ch) * h * w
                        for y in 0..<h {
                            let row = out + (y * f + ky) * ow + kx
                            let line = inp + y * w
                            for x in 0..<w { row[x * f] = line[x] }
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// The values of [N, C, H, W] in NHWC order (shape [N, H, W, C]), by one oneDNN reorder.
    public func channelsLast() -> Tensor {
        precondition(rank == 4, "channelsLast needs [N, C, H, W], got \(shape)")
        let from = DNNL.md(shape, dnnl_f32, dnnl_nchw), to = DNNL.md(shape, dnnl_f32, dnnl_nhwc)
        return data.withUnsafeBufferPointer { xp in
            Tensor(shape: [n, h, w, c]) { o in
                DNNL.reorder(from: from, UnsafeRawPointer(xp.baseAddress!), to: to, UnsafeMutableRawPointer(o.baseAddress!))
            }
        }
    }
}
