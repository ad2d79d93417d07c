import CDNNL
import Dispatch

/// A float buffer address that may cross into parallel workers, each writing a disjoint region.
public struct SharedFloats: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public init(_ base: UnsafeMutablePointer<Float>) { self.base = base }
}

/// Data-parallel loops over the machine's cores, on the compute pool's OpenMP team (the threads oneDNN's kernels
/// run on, so element-wise passes between layers never compete with a second pool's spinning threads); Dispatch's
/// concurrentPerform where the process has no libgomp. The body must touch disjoint data; indices are split into
/// one contiguous range per thread.
public enum Parallel {
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        _ = ComputePool.configured
        withoutActuallyEscaping(body) { b in
            var job = TeamJob(count: count, body: b)
            let ran = withUnsafeMutablePointer(to: &job) { p in
                mrcnn_omp_team(Int32(min(count, ComputePool.threads)), { context, thread, threads in
                    let job = context!.assumingMemoryBound(to: TeamJob.self).pointee
                    let t = Int(thread), n = Int(threads)
                    for i in (job.count * t / n)..<(job.count * (t + 1) / n) { job.body(i) }
                }, p)
            }
            if ran != 0 { return }
            let box = UncheckedBox(b)
            DispatchQueue.concurrentPerform(iterations: count) { i in box.value(i) }
        }
    }
}

/// What each team member reads: the index count and the loop body.
private struct TeamJob {
    let count: Int
    let body: (Int) -> Void
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
