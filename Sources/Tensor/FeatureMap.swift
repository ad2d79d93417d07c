#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// The activation type of the compute backends: a feature map [N, C, H, W] held in the layout and element type the
/// kernel that wrote it chose (plain NCHW fp32 for the OpenBLAS kernels; nChw16c / nChw8c / NHWC, fp32 or bf16, for
/// oneDNN's and the Winograd kernels), passed from layer to layer so a chain converts only where a kernel reads
/// another layout. `tensor()` gives dense NCHW fp32, `channelsLast()` NHWC fp32. Owns its buffer (views share it);
/// one thread at a time (not `Sendable`).
public final class FeatureMap {
    /// Logical NCHW dimensions.
    public let shape: [Int]
    let md: MemoryDesc
    private let storage: Storage
    var data: UnsafeMutableRawPointer { storage.base }
    var byteCount: Int { md.bytes }
    /// A u8/s8 map's quantization step (value = step × stored integer), set by the int8 kernel that wrote it for the
    /// int8 layers that read it (another step is requantized; `tensor()` dequantizes); nil for fp32 and bf16 maps.
    var int8Step: Float?
    /// Its values quantized for int8 layers that read it (`quantized(as:step:_:)`): one per layout and step, so the
    /// layers reading one map with one calibrated step (a stage's output: the next block's conv1 and shortcut, the
    /// FPN's lateral) quantize it once. Forgotten when the map is written in place.
    private var quantizedCopies: [(md: MemoryDesc, step: Float, map: FeatureMap)] = []

    /// A 64-byte aligned buffer, shared by a map and its views.
    private final class Storage {
        let base: UnsafeMutableRawPointer
        init(byteCount: Int) { base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 4), alignment: 64) }
        deinit { base.deallocate() }
    }

    /// An uninitialised map in layout `md` (dimensions taken from it).
    init(md: MemoryDesc) {
        shape = md.dims
        self.md = md
        storage = Storage(byteCount: md.bytes)
    }

    /// `other`'s buffer under another descriptor of the same size (writes through one show in the other).
    private init(viewing other: FeatureMap, md: MemoryDesc) {
        precondition(md.bytes == other.byteCount, "view of a different size")
        shape = md.dims
        self.md = md
        storage = other.storage
    }

    /// A copy of an NCHW tensor, plain fp32 layout: the first kernel that reads it converts it to its own.
    public convenience init(_ x: Tensor) {
        precondition(x.rank == 4, "FeatureMap holds [N, C, H, W], got \(x.shape)")
        self.init(md: MemoryDesc(x.shape, .f32, dnnl_nchw))
        x.data.withUnsafeBytes { data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// A copy of the rows of x [N, C] as the N pixels of one NHWC image [1, C, N, 1] (the same bytes).
    convenience init(rows x: Tensor) {
        precondition(x.rank == 2, "rows [N, C], got \(x.shape)")
        self.init(md: MemoryDesc([1, x.shape[1], x.shape[0], 1], .f32, dnnl_nhwc))
        x.data.withUnsafeBytes { data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// A copy of an NCHW tensor in a channel-blocked layout: nChw8c (`channelBlock` 8, AVX2 kernels), nChw16c (16,
    /// AVX-512) or NHWC (`channelBlock` = C), of `type`; C must be a multiple of the block.
    public convenience init(_ x: Tensor, channelBlock: Int, type: DataType = .f32) {
        precondition(x.rank == 4 && x.c % channelBlock == 0, "\(x.shape) has no whole blocks of \(channelBlock) channels")
        let tag = FeatureMap.tag(block: channelBlock, channels: x.c)
        precondition(tag != nil, "channel block 8, 16 or C, got \(channelBlock)")
        self.init(md: MemoryDesc(x.shape, type, tag!))
        x.data.withUnsafeBytes { DNNL.reorder(from: MemoryDesc(x.shape, .f32, dnnl_nchw), $0.baseAddress!, to: md, data) }
    }

    public var n: Int { shape[0] }
    public var c: Int { shape[1] }
    public var h: Int { shape[2] }
    public var w: Int { shape[3] }
    /// The element type of the buffer.
    public var type: DataType { md.type }

    /// A map laid out as `target` sharing nothing with `self`: `self` reordered (or copied when the layouts match).
    func converted(to target: MemoryDesc) -> FeatureMap {
        let out = FeatureMap(md: target)
        if md == target { out.data.copyMemory(from: data, byteCount: byteCount); return out }
        DNNL.reorder(from: md, data, to: target, out.data)
        return out
    }

    /// `self` when it is already laid out as `target`, else a converted copy.
    func laidOut(as target: MemoryDesc) -> FeatureMap { md == target ? self : converted(to: target) }

    /// The buffer a kernel writes its output in layout `md` into: `accumulate` (the residual its sum post-op reads,
    /// output-shaped) laid out as `md` — or as `residual` (its own int8 type in `md`'s layout: the post-op reads it as
    /// that type) and seen as `md` —, or a new map.
    static func destination(_ md: MemoryDesc, accumulating accumulate: FeatureMap?, residual: MemoryDesc? = nil) -> FeatureMap {
        guard let accumulate else { return FeatureMap(md: md) }
        precondition(accumulate.shape == md.dims, "residual shape \(accumulate.shape)")
        accumulate.quantizedCopies = []
        guard let residual, residual != md else { return accumulate.laidOut(as: md) }
        return FeatureMap(viewing: accumulate.laidOut(as: residual), md: md)
    }

    /// The values quantized with `step` in layout `md` (u8/s8): made by `make` on first request, then kept with this
    /// map for other readers of the same layout and step.
    func quantized(as md: MemoryDesc, step: Float, _ make: (FeatureMap) -> Void) -> FeatureMap {
        if let copy = quantizedCopies.first(where: { $0.md == md && $0.step == step }) { return copy.map }
        let copy = FeatureMap(md: md)
        make(copy)
        copy.int8Step = step
        quantizedCopies.append((md, step, copy))
        return copy
    }

    /// The values as a dense NCHW fp32 tensor.
    public func tensor() -> Tensor { dense(tag: dnnl_nchw, shape: shape) }

    /// This map, or for an int8 map its values as a plain fp32 map (what a kernel that does not read int8 takes).
    var values: FeatureMap { int8Step == nil ? self : FeatureMap(tensor()) }

    /// The values of [N, C, H, W] in NHWC order (shape [N, H, W, C]), fp32: what RoIAlign reads.
    public func channelsLast() -> Tensor { dense(tag: dnnl_nhwc, shape: [n, h, w, c]) }

    /// `body` on the values in NHWC order, fp32: the buffer itself when the map is laid out so, else a converted copy.
    public func withChannelsLast<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        if int8Step == nil, md == MemoryDesc(shape, .f32, dnnl_nhwc) {
            return try body(UnsafePointer(data.assumingMemoryBound(to: Float.self)))
        }
        return try channelsLast().data.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    private func dense(tag: dnnl_format_tag_t, shape out: [Int]) -> Tensor {
        let plain = MemoryDesc(shape, .f32, tag)
        return Tensor(shape: out) { o in
            let dst = UnsafeMutableRawPointer(o.baseAddress!)
            if let step = int8Step { DNNL.reorder(from: md, data, to: plain, dst, multiplying: step); return }
            if md == plain { dst.copyMemory(from: data, byteCount: o.count * 4); return }
            DNNL.reorder(from: md, data, to: plain, dst)
        }
    }

    /// The channel block of the layout: 1 for plain NCHW, 8 for nChw8c, 16 for nChw16c, C for NHWC, nil for others.
    var channelBlock: Int? {
        for block in [1, 8, 16, c] where c % block == 0 {
            if let tag = FeatureMap.tag(block: block, channels: c), md == MemoryDesc(shape, type, tag) { return block }
        }
        return nil
    }

    /// The format tag of a channel block (1: nchw, 8: nChw8c, 16: nChw16c, C: nhwc).
    static func tag(block: Int, channels: Int) -> dnnl_format_tag_t? {
        switch block {
        case 1: return dnnl_nchw
        case 8: return dnnl_nChw8c
        case 16: return dnnl_nChw16c
        case channels: return dnnl_nhwc
        default: return nil
        }
    }

    /// The same memory seen as [N·f, C/f, H, W]: image i's channel group g becomes image i·f + g. Possible without
    /// moving data when the layout is plain NCHW or channel-blocked (nChw8c, nChw16c) with blocks dividing C/f;
    /// otherwise the values are reordered to NCHW first.
    public func splittingChannels(into f: Int) -> FeatureMap {
        precondition(c % f == 0, "cannot split \(c) channels into \(f) groups")
        if let block = channelBlock, block < c || block == 1, (c / f) % block == 0, let tag = FeatureMap.tag(block: block, channels: c / f) {
            return FeatureMap(viewing: self, md: MemoryDesc([n * f, c / f, h, w], type, tag))
        }
        return converted(to: MemoryDesc(shape, type, dnnl_nchw)).splittingChannels(into: f)
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

    /// Rounds every fp32 value to bf16 in place (what storing it as bf16 would keep) in the rounding draw `draw`:
    /// the emulated bf16's stores.
    func roundToBF16(draw: BF16.Draw = .exact) {
        precondition(type == .f32, "only fp32 values are rounded")
        let count = byteCount / 4, p = SharedFloats(data.assumingMemoryBound(to: Float.self))
        let chunk = 1 << 16
        Parallel.forEach((count + chunk - 1) / chunk) { j in
            for i in (j * chunk)..<min(count, (j + 1) * chunk) { p.base[i] = draw.round(p.base[i], at: i) }
        }
    }
}

extension Tensor {
    /// The values of [N, C, H, W] in NHWC order (shape [N, H, W, C]), by one oneDNN reorder.
    public func channelsLast() -> Tensor { FeatureMap(self).channelsLast() }
}
