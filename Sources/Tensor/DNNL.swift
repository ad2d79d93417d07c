#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// The process's oneDNN CPU engine and the small helpers every oneDNN layer uses; any thread.
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

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN: \(what()) failed with status \(status.rawValue)")
    }

    /// A memory descriptor of `dims` in a named layout (or `dnnl_format_tag_any`).
    static func md(_ dims: [Int], _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims.map { dnnl_dim_t($0) }
        d.withUnsafeBufferPointer { check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), $0.baseAddress!, type, tag), "memory desc \(dims)") }
        return md
    }

    /// A memory object over `handle` (nil: oneDNN allocates and owns the buffer).
    static func memory(_ md: dnnl_memory_desc_t, _ handle: UnsafeMutableRawPointer?) -> OpaquePointer {
        var m: dnnl_memory_t? = nil
        var desc = md
        check(dnnl_memory_create(&m, &desc, engine, handle ?? mrcnn_dnnl_memory_allocate()), "memory")
        return m!
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    static func bytes(_ md: dnnl_memory_desc_t) -> Int {
        var m = md
        return dnnl_memory_desc_get_size(&m)
    }

    /// A reorder primitive from one layout/type to another.
    static func reorder(_ from: dnnl_memory_desc_t, _ to: dnnl_memory_desc_t) -> OpaquePointer {
        var f = from, t = to
        var pd: dnnl_primitive_desc_t? = nil
        check(dnnl_reorder_primitive_desc_create(&pd, &f, engine, &t, engine, nil), "reorder")
        defer { dnnl_primitive_desc_destroy(pd) }
        var p: dnnl_primitive_t? = nil
        check(dnnl_primitive_create(&p, pd), "reorder primitive")
        return p!
    }

    /// Runs `primitive` with `args` (argument id, memory) on a fresh in-order CPU stream and waits.
    static func execute(_ primitive: OpaquePointer, _ args: [(Int32, OpaquePointer)]) {
        var stream: dnnl_stream_t? = nil
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        defer { dnnl_stream_destroy(stream) }
        let a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
        a.withUnsafeBufferPointer { check(dnnl_primitive_execute(primitive, stream, Int32($0.count), $0.baseAddress!), "execute") }
        check(dnnl_stream_wait(stream), "stream wait")
    }

    /// Reorders `count` floats at `src` (layout `from`) into `to` at `dst`.
    static func reorder(_ r: OpaquePointer, from: dnnl_memory_desc_t, _ src: UnsafeRawPointer,
                        to: dnnl_memory_desc_t, _ dst: UnsafeMutableRawPointer) {
        let a = memory(from, UnsafeMutableRawPointer(mutating: src)), b = memory(to, dst)
        defer { dnnl_memory_destroy(a); dnnl_memory_destroy(b) }
        execute(r, [(DNNL_ARG_FROM, a), (DNNL_ARG_TO, b)])
    }

    /// Reorders the values at `src` (layout `from`) into `to` at `dst` with a primitive made for this one call.
    static func reorder(from: dnnl_memory_desc_t, _ src: UnsafeRawPointer, to: dnnl_memory_desc_t, _ dst: UnsafeMutableRawPointer) {
        let r = reorder(from, to)
        defer { dnnl_primitive_destroy(r) }
        reorder(r, from: from, src, to: to, dst)
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
