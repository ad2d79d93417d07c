import Foundation
import Pipeline
import Synchronization

/// Serialises the model's heavy work across stages: each stage's GEMMs already use every core through OpenBLAS,
/// so letting the detector and the mask head run at once only oversubscribes the cores. Each stage waits on its
/// own thread, so waiting here holds no shared thread. Also measures how long the model held the cores
/// (`busySeconds`), from which a job reports the model's idle fraction. Thread-safe.
public final class ComputeGate: Sendable {
    private let lock = Mutex(())
    private let busy = Mutex(0.0)

    public init() {}

    /// The shared-resources key under which the model stages of one chain find their gate.
    public static let sharedKey = "compute-gate"

    func run<T>(_ body: () throws -> T) rethrows -> T {
        let asked = ContinuousClock.now
        return try lock.withLock { _ in
            let start = ContinuousClock.now
            let waited = asked.duration(to: start)
            StageWaits.add(waited.inSeconds)
            defer {
                let d = start.duration(to: .now)
                busy.withLock { $0 += d.inSeconds }
            }
            return try body()
        }
    }

    /// Seconds the model stages have held the gate (computed) so far.
    public var busySeconds: Double { busy.withLock { $0 } }
}
