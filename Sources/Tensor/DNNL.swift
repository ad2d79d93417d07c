#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// The process's oneDNN CPU engine and the small helpers every oneDNN kernel uses (oneDNN 2.x or 3.x alike, through
/// the CDNNL shim); any thread.
enum DNNL {
    /// The engine handle; oneDNN engines are thread-safe.
    private struct Handle: @unchecked Sendable { let raw: OpaquePointer }
    private static let handle: Handle = {
        var e: dnnl_engine_t? = nil
        check(dnnl_engine_create(&e, dnnl_cpu, 0), "engine")
        _ = ComputePool.configured
        return Handle(raw: e!)
    }()
    static var engine: OpaquePointer { handle.raw }

    /// The oneDNN this process runs, e.g. "2.6.3".
    static var version: String { String(cString: mrcnn_dnnl_version()) }

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN: \(what()) failed with status \(status.rawValue)")
    }

    /// A memory object over `handle` (nil: oneDNN allocates and owns the buffer).
    static func memory(_ md: MemoryDesc, _ handle: UnsafeMutableRawPointer?) -> OpaquePointer {
        var m: dnnl_memory_t? = nil
        check(mrcnn_memory(&m, md.handle, engine, handle), "memory \(md.dims)")
        return m!
    }

    /// A primitive from a descriptor that `make` fills in; nil (and nothing leaked) when oneDNN has no implementation.
    static func primitiveDesc(_ make: (UnsafeMutablePointer<dnnl_primitive_desc_t?>) -> dnnl_status_t) -> OpaquePointer? {
        var pd: dnnl_primitive_desc_t? = nil
        guard make(&pd) == dnnl_success, let pd else { return nil }
        return pd
    }

    static func primitive(_ pd: OpaquePointer) -> OpaquePointer {
        var p: dnnl_primitive_t? = nil
        check(dnnl_primitive_create(&p, pd), "primitive")
        return p!
    }

    /// The descriptor of `what` (src, weights, dst) of a primitive descriptor.
    static func md(_ pd: OpaquePointer, _ what: dnnl_query_t) -> MemoryDesc { MemoryDesc(owning: mrcnn_pd_md(pd, what)) }

    /// Runs `primitive` with `args` (argument id, memory) on a fresh in-order CPU stream and waits.
    static func execute(_ primitive: OpaquePointer, _ args: [(Int32, OpaquePointer)]) {
        var stream: dnnl_stream_t? = nil
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        defer { dnnl_stream_destroy(stream) }
        let a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
        a.withUnsafeBufferPointer { check(dnnl_primitive_execute(primitive, stream, Int32($0.count), $0.baseAddress!), "execute") }
        check(dnnl_stream_wait(stream), "stream wait")
    }

    /// Runs `primitive` on buffers: each argument id with its descriptor and data.
    static func execute(_ primitive: OpaquePointer, _ args: [(Int32, MemoryDesc, UnsafeMutableRawPointer)]) {
        let memories = args.map { ($0.0, memory($0.1, $0.2)) }
        defer { for m in memories { dnnl_memory_destroy(m.1) } }
        execute(primitive, memories)
    }

    /// A reorder primitive from one layout/type to another.
    static func reorder(_ from: MemoryDesc, _ to: MemoryDesc) -> OpaquePointer {
        guard let pd = primitiveDesc({ mrcnn_reorder_pd($0, engine, from.handle, to.handle) }) else {
            preconditionFailure("oneDNN: no reorder \(from) → \(to)")
        }
        defer { dnnl_primitive_desc_destroy(pd) }
        return primitive(pd)
    }

    /// Reorders the values at `src` (layout `from`) into `to` at `dst` with a primitive made for this one call.
    static func reorder(from: MemoryDesc, _ src: UnsafeRawPointer, to: MemoryDesc, _ dst: UnsafeMutableRawPointer) {
        let r = reorder(from, to)
        defer { dnnl_primitive_destroy(r) }
        execute(r, [(DNNL_ARG_FROM, from, UnsafeMutableRawPointer(mutating: src)), (DNNL_ARG_TO, to, dst)])
    }

    /// Reorders `src` (layout `from`, u8/s8) into `to` at `dst` multiplied by `scale`: an int8 map's values.
    static func reorder(from: MemoryDesc, _ src: UnsafeRawPointer, to: MemoryDesc, _ dst: UnsafeMutableRawPointer, multiplying scale: Float) {
        guard let pd = primitiveDesc({ mrcnn_scaled_reorder_pd($0, engine, from.handle, to.handle, scale, 0) }) else {
            preconditionFailure("oneDNN: no scaling reorder \(from) → \(to)")
        }
        defer { dnnl_primitive_desc_destroy(pd) }
        let r = primitive(pd), a = memory(from, UnsafeMutableRawPointer(mutating: src)), b = memory(to, dst)
        var owned = [a, b], args = [(DNNL_ARG_FROM, a), (DNNL_ARG_TO, b)]
        if mrcnn_dnnl_v3() != 0 {
            owned.append(scales([scale]))
            args.append((Int32(mrcnn_scales_arg(DNNL_ARG_SRC)), owned[2]))
        }
        execute(r, args)
        dnnl_primitive_destroy(r)
        for m in owned { dnnl_memory_destroy(m) }
    }

    /// A oneDNN-owned f32 memory holding `values` (oneDNN 3.x's runtime scales); the caller destroys it.
    static func scales(_ values: [Float]) -> OpaquePointer {
        let m = memory(MemoryDesc([values.count], .f32, dnnl_x), nil)
        var handle: UnsafeMutableRawPointer? = nil
        dnnl_memory_get_data_handle(m, &handle)
        values.withUnsafeBytes { handle!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return m
    }

    /// The implementation name of a primitive descriptor, e.g. "jit:avx2", "brgconv:avx512_core_amx".
    static func implementation(_ pd: OpaquePointer) -> String {
        var s: UnsafePointer<CChar>? = nil
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) == dnnl_success, let s else { return "?" }
        return String(cString: s)
    }

    /// Matrix product C = A·B (row-major, like `cblas_sgemm`) with oneDNN's JIT sgemm.
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let ta: CChar = transA ? 84 : 78, tb: CChar = transB ? 84 : 78   // "T" / "N"
        _ = ComputePool.configured
        let s = dnnl_sgemm(ta, tb, dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), 1, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb),
                           beta, c, dnnl_dim_t(ldc))
        check(s, "sgemm")
    }
}

/// The element types activations and weights are stored in.
public enum DataType: Sendable {
    case f32, bf16
    /// Quantized activations and weights of the int8 kernels (unsigned after a ReLU, signed elsewhere).
    case u8, s8

    var dnnl: dnnl_data_type_t {
        switch self {
        case .f32: return dnnl_f32
        case .bf16: return dnnl_bf16
        case .u8: return dnnl_u8
        case .s8: return dnnl_s8
        }
    }
    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32: return 4
        case .bf16: return 2
        case .u8, .s8: return 1
        }
    }
}

/// A oneDNN memory descriptor (dimensions, element type, layout), owned; immutable, any thread.
final class MemoryDesc: @unchecked Sendable, Equatable, CustomStringConvertible {
    let handle: UnsafeMutableRawPointer

    init(owning handle: UnsafeMutableRawPointer?) {
        guard let handle else { preconditionFailure("oneDNN refused a memory descriptor") }
        self.handle = handle
    }

    /// `dims` in a named layout (or `dnnl_format_tag_any`).
    convenience init(_ dims: [Int], _ type: DataType, _ tag: dnnl_format_tag_t) {
        let d = dims.map { Int64($0) }
        self.init(owning: d.withUnsafeBufferPointer { mrcnn_md_tag(Int32(dims.count), $0.baseAddress!, type.dnnl, tag) })
    }

    /// `dims` with explicit element strides.
    convenience init(_ dims: [Int], _ type: DataType, strides: [Int]) {
        let d = dims.map { Int64($0) }, s = strides.map { Int64($0) }
        self.init(owning: d.withUnsafeBufferPointer { dp in
            s.withUnsafeBufferPointer { mrcnn_md_strides(Int32(dims.count), dp.baseAddress!, type.dnnl, $0.baseAddress!) }
        })
    }

    deinit { mrcnn_md_destroy(handle) }

    var dims: [Int] {
        let n = Int(mrcnn_md_ndims(handle))
        var d = [Int64](repeating: 0, count: max(n, 1))
        d.withUnsafeMutableBufferPointer { mrcnn_md_dims(handle, $0.baseAddress!) }
        return d.prefix(n).map { Int($0) }
    }

    var type: DataType {
        switch mrcnn_md_data_type(handle) {
        case dnnl_bf16: return .bf16
        case dnnl_u8: return .u8
        case dnnl_s8: return .s8
        default: return .f32
        }
    }
    var bytes: Int { mrcnn_md_size(handle) }

    /// The same dimensions and layout with another element type (layouts given by a tag only).
    func with(_ type: DataType, tag: dnnl_format_tag_t) -> MemoryDesc { MemoryDesc(dims, type, tag) }

    static func == (a: MemoryDesc, b: MemoryDesc) -> Bool { a === b || mrcnn_md_equal(a.handle, b.handle) != 0 }

    var description: String { "\(dims) \(type)" }
}
