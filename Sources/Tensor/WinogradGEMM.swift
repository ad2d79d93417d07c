#if canImport(Glibc)
import Glibc
#endif
import CDNNL
import Synchronization

/// The 36 products of a Winograd F(4×4,3×3) block as one batched oneDNN matmul: M[ξ] = V[ξ] · U[ξ] with V [36, T,
/// Cin], U [36, Cin, Cout] (transformed weights, reordered once into the layout the matmul wants) and M [36, T, Cout]
/// fp32; V and M are stored tile-major ([T][36][C]). `bf16`: V and U as bf16 (fp32 accumulation); `rounded`: fp32 V
/// and U rounded to bf16 (the emulation of it). One primitive per tile count, kept. Thread-safe.
final class WinogradGEMM: @unchecked Sendable {
    /// Where the input transform writes V: its buffer, element type, and whether fp32 values are rounded to bf16.
    struct Operand {
        let base: UnsafeMutableRawPointer
        let type: DataType
        let rounded: Bool
    }

    let inChannels: Int, outChannels: Int
    let bf16: Bool, rounded: Bool
    private var type: DataType { bf16 ? .bf16 : .f32 }
    private let u: [Float]
    private var weights: (md: MemoryDesc, memory: OpaquePointer)?
    private typealias Plan = (primitive: OpaquePointer, src: MemoryDesc, dst: MemoryDesc, weights: OpaquePointer, implementation: String)
    private var primitives: [Int: Plan] = [:]
    private let lock = Mutex(())

    init(u: [Float], inChannels: Int, outChannels: Int, bf16: Bool, rounded: Bool) {
        self.u = rounded ? BF16.round(u) : u
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.bf16 = bf16
        self.rounded = rounded
    }

    deinit {
        for p in primitives.values { dnnl_primitive_destroy(p.primitive) }
        if let weights { dnnl_memory_destroy(weights.memory) }
    }

    /// The matmul implementation oneDNN chose (e.g. "brg:avx512_core_bf16"), once one was built.
    var implementation: String {
        lock.withLock { _ in
            return primitives.values.first?.implementation ?? "matmul"
        }
    }

    /// V and M scratch for blocks of `tiles` tiles (kept between calls: fresh pages would fault in on every layer).
    func withBuffers<R>(tiles: Int, _ body: (Operand, UnsafeMutablePointer<Float>) -> R) -> R {
        let vBytes = 36 * tiles * inChannels * type.size, mBytes = 36 * tiles * outChannels * 4
        let scratch = ScratchPool.shared.take(bytes: vBytes + mBytes)
        defer { ScratchPool.shared.give(scratch) }
        let v = Operand(base: scratch.base, type: type, rounded: rounded)
        return body(v, (scratch.base + vBytes).assumingMemoryBound(to: Float.self))
    }

    /// M = V · U for a block of `tiles` tiles.
    func multiply(tiles: Int, v: Operand, m: UnsafeMutablePointer<Float>) {
        let p = plan(tiles: tiles)
        let s = DNNL.memory(p.src, v.base), d = DNNL.memory(p.dst, UnsafeMutableRawPointer(m))
        defer { dnnl_memory_destroy(s); dnnl_memory_destroy(d) }
        DNNL.execute(p.primitive, [(DNNL_ARG_SRC, s), (DNNL_ARG_WEIGHTS, p.weights), (DNNL_ARG_DST, d)])
    }

    private func plan(tiles: Int) -> Plan {
        lock.withLock { _ in
            if let p = primitives[tiles] { return p }
            // Tile-major in memory ([T][36][C]: what the transforms write and read contiguously), batch ξ of stride C.
            let src = MemoryDesc([36, tiles, inChannels], type, strides: [inChannels, 36 * inChannels, 1])
            let dst = MemoryDesc([36, tiles, outChannels], .f32, strides: [outChannels, 36 * outChannels, 1])
            let wantWeights = weights?.md ?? MemoryDesc([36, inChannels, outChannels], type, dnnl_format_tag_any)
            var pd = DNNL.primitiveDesc { mrcnn_matmul_pd($0, DNNL.engine, src.handle, wantWeights.handle, dst.handle) }
            if pd == nil, weights != nil {
                // The prepared layout does not fit this tile count's kernel: ask for its own (reordered below).
                let any = MemoryDesc([36, inChannels, outChannels], type, dnnl_format_tag_any)
                pd = DNNL.primitiveDesc { mrcnn_matmul_pd($0, DNNL.engine, src.handle, any.handle, dst.handle) }
            }
            guard let pd else { preconditionFailure("oneDNN: no \(type) matmul for \(tiles) tiles × \(inChannels) → \(outChannels)") }
            defer { dnnl_primitive_desc_destroy(pd) }
            let wmd = DNNL.md(pd, dnnl_query_weights_md)
            if weights == nil || weights!.md != wmd {
                if let old = weights { dnnl_memory_destroy(old.memory) }
                let memory = DNNL.memory(wmd, nil)
                var handle: UnsafeMutableRawPointer? = nil
                dnnl_memory_get_data_handle(memory, &handle)
                u.withUnsafeBytes { DNNL.reorder(from: MemoryDesc([36, inChannels, outChannels], .f32, dnnl_abc), $0.baseAddress!, to: wmd, handle!) }
                weights = (wmd, memory)
                // Primitives built for the previous layout read it no more.
                for p in primitives.values { dnnl_primitive_destroy(p.primitive) }
                primitives = [:]
            }
            let p = (DNNL.primitive(pd), src, dst, weights!.memory, DNNL.implementation(pd))
            primitives[tiles] = p
            return p
        }
    }
}

/// Byte buffers reused across calls and threads: `take` hands out a kept buffer of at least `bytes` (or a new one),
/// `give` returns it; at most two are kept (one per concurrently computing model stage).
final class ScratchPool: @unchecked Sendable {
    struct Buffer { let base: UnsafeMutableRawPointer; let bytes: Int }
    static let shared = ScratchPool()
    private var kept: [Buffer] = []
    private let lock = Mutex(())


    func take(bytes: Int) -> Buffer {
        lock.withLock { _ in
            if let i = kept.firstIndex(where: { $0.bytes >= bytes }) { return kept.remove(at: i) }
            if let small = kept.popLast() { small.base.deallocate() }
            return Buffer(base: .allocate(byteCount: bytes, alignment: 64), bytes: bytes)
        }
    }

    func give(_ buffer: Buffer) {
        lock.withLock { _ in
            kept.append(buffer)
            if kept.count > 2 { kept.sort { $0.bytes > $1.bytes }; kept.removeLast().base.deallocate() }
        }
    }
}
