#if canImport(Glibc)
import Glibc
#endif
import CDNNL
import COpenBLAS
import Synchronization

/// The model's compute threads: one OpenMP team (one thread per online core, or `ModelOptions.threads`) runs oneDNN's
/// kernels and sgemm and `Parallel.forEach`'s passes between layers; OpenBLAS's pthreads (as many) run its calls, one
/// call at a time on the calling thread. Process-wide.
public enum ComputePool {
    private static let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    private static let chosen = Atomic<Int>(0)

    /// Threads per library call: the online cores unless `limit(to:)` set fewer.
    public static var threads: Int {
        let n = chosen.load(ordering: .relaxed)
        return n > 0 ? n : cores
    }

    static let configured: Bool = {
        apply()
        return true
    }()

    /// Runs the compute team with `n` threads from now on (process-wide; the calling thread's OpenMP team and
    /// OpenBLAS). For `ModelOptions.threads`.
    public static func limit(to n: Int) {
        chosen.store(max(1, n), ordering: .relaxed)
        apply()
    }

    private static func apply() {
        _ = mrcnn_omp_set_num_threads(Int32(threads))
        openblas_set_num_threads(Int32(threads))
    }

    /// oneDNN's OpenMP team size as OpenMP reports it (-1 when there is no OpenMP runtime).
    public static var openMPThreads: Int {
        _ = configured
        return Int(mrcnn_omp_get_max_threads())
    }
}
