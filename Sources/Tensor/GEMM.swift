import COpenBLAS

/// Row-major single-precision matrix products on OpenBLAS; callable from any thread.
public enum GEMM {
    /// C[m×n] = A[m×k] · B[k×n] (+ C when `accumulate`), all row-major with the given leading dimensions.
    @inline(__always)
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false
    ) {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), 1.0,
                    a, blasint(lda), b, blasint(ldb),
                    accumulate ? 1.0 : 0.0, c, blasint(ldc))
    }

    /// The number of threads OpenBLAS uses for one product.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// The OpenBLAS kernel family in use (e.g. "Haswell", "SkylakeX").
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
}
