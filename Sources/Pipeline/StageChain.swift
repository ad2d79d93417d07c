import Foundation
import Synchronization

/// The stages of one run, each built on and confined to its own thread (see `StageWorker`), in chain order.
/// Build it before the run to get construction errors (weights, options) before any frame is read; one run only.
public final class StageChain: Sendable {
    let workers: [StageWorker]

    /// The stage names, in order.
    public var names: [String] { workers.map(\.name) }

    /// Starts one thread per plan, in order, and builds each stage there; the first failure closes the started ones
    /// and is thrown.
    public static func start(_ plans: [StagePlan]) async throws -> StageChain {
        var workers: [StageWorker] = []
        do {
            for plan in plans { workers.append(try await StageWorker.start(plan)) }
        } catch {
            for worker in workers { worker.close() }
            throw error
        }
        return StageChain(workers: workers)
    }

    private init(workers: [StageWorker]) { self.workers = workers }

    deinit { for worker in workers { worker.close() } }
}
