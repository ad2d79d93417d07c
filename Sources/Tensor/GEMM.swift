import COpenBLAS

/// Row-major single-precision matrix products; callable from any thread. The kernels are chosen once per process
/// (`SGEMMKernels.chosen`): OpenBLAS when its run-time core fits the CPU, else oneDNN's JIT sgemm.
public enum GEMM {
    /// C[m×n] = A[m×k] · B[k×n] (+ C when `accumulate`), all row-major with the given leading dimensions.
    @inline(__always)
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false
    ) {
        multiply(using: SGEMMKernels.chosen.library, m: m, n: n, k: k, a: a, lda: lda, transA: transA,
                 b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, accumulate: accumulate)
    }

    /// The same product on a given library (`auto`: `SGEMMKernels.chosen`'s).
    @inline(__always)
    static func multiply(
        using library: ComputeBackend, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        switch library {
        case .openblas:
            cblas_sgemm(CblasRowMajor,
                        transA ? CblasTrans : CblasNoTrans,
                        transB ? CblasTrans : CblasNoTrans,
                        blasint(m), blasint(n), blasint(k), 1.0,
                        a, blasint(lda), b, blasint(ldb),
                        accumulate ? 1.0 : 0.0, c, blasint(ldc))
        case .auto:
            multiply(using: SGEMMKernels.chosen.library, m: m, n: n, k: k, a: a, lda: lda, transA: transA,
                     b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, accumulate: accumulate)
        case .onednn:
            DNNL.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                       beta: accumulate ? 1 : 0, c: c, ldc: ldc)
        }
    }

    /// The number of threads OpenBLAS uses for one product.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// The OpenBLAS kernel family loaded for this process (e.g. "Haswell", "Zen", "SkylakeX", "Prescott").
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// What runs sgemm in this process, e.g. "OpenBLAS Zen (verified)" or "oneDNN sgemm avx512_core (verified; OpenBLAS picked Prescott)".
    public static var kernels: String { SGEMMKernels.chosen.description }
}

extension GEMM {
    /// GFLOP/s of one large sgemm shaped like a backbone convolution (1024×4096×2304), best of `repeats`; the
    /// yardstick `mrcnn bench` compares the convolutions with. Uses the whole compute team; prints nothing.
    public static func measuredRate(repeats: Int = 3) -> Double {
        let m = 1024, n = 4096, k = 2304
        let a = [Float](repeating: 0.01, count: m * k), b = [Float](repeating: 0.02, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for _ in 0..<repeats {
            let t0 = LayerBenchmark.now()
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
            } } }
            best = min(best, LayerBenchmark.now() - t0)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }
}
