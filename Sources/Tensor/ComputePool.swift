#if canImport(Glibc)
import Glibc
#endif
import CDNNL
import COpenBLAS

/// The model's compute threads: one OpenMP team (one thread per online core) runs oneDNN's kernels and sgemm and
/// `Parallel.forEach`'s passes between layers; OpenBLAS's pthreads (as many) run its calls, one call at a time on the
/// calling thread. Configured once, before the first oneDNN or OpenBLAS call of the library.
public enum ComputePool {
    /// Threads per library call: `MRCNN_THREADS` if set, else the online cores.
    public static let threads: Int = {
        if let v = getenv("MRCNN_THREADS").flatMap({ Int(String(cString: $0)) }), v > 0 { return v }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

    static let configured: Bool = {
        _ = mrcnn_omp_set_num_threads(Int32(threads))
        openblas_set_num_threads(Int32(threads))
        return true
    }()

    /// oneDNN's OpenMP team size as OpenMP reports it (-1 when there is no OpenMP runtime).
    public static var openMPThreads: Int {
        _ = configured
        return Int(mrcnn_omp_get_max_threads())
    }
}
