import Foundation
import Pipeline
import Synchronization

/// Serialises the model's heavy work across stages: each stage's GEMMs already use every core, so letting the
/// detector and the mask head run at once only oversubscribes the cores. Each stage waits on its own thread (and
/// reports the wait, so its timing counts its own work only). Also measures how long the model held the cores
/// (`busySeconds`), from which a job reports the model's idle fraction. Thread-safe.
public final class ComputeGate: Sendable {
    private let lock = Mutex(())
    private let busy = Mutex(0.0)
    private let members = Mutex(0)

    public init() {}

    /// Where the model stages of one chain find their gate.
    public static let key = SharedKey<ComputeGate>("compute-gate")

    /// The chain's gate, counting the stage as one of its members.
    static func joined(_ context: StageContext) throws -> ComputeGate {
        let gate = try context.shared.value(key) { ComputeGate() }
        gate.members.withLock { $0 += 1 }
        return gate
    }

    /// Runs `body` holding the gate; the time spent waiting for it goes to `reportWait`.
    func run<T>(reportWait: @Sendable (Duration) -> Void, _ body: () throws -> T) rethrows -> T {
        let asked = ContinuousClock.now
        return try lock.withLock { _ in
            let start = ContinuousClock.now
            reportWait(asked.duration(to: start))
            defer {
                let d = start.duration(to: .now)
                busy.withLock { $0 += d.inSeconds }
            }
            return try body()
        }
    }

    /// Seconds the model stages have held the gate (computed) so far.
    public var busySeconds: Double { busy.withLock { $0 } }

    /// Whether any stage uses this gate.
    public var hasMembers: Bool { members.withLock { $0 > 0 } }
}
