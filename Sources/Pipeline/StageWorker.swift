import Foundation
import Synchronization

/// One stage on a thread of its own: the thread builds the stage from its plan, then runs every `process` and
/// `finish` call for it in order, so the stage never leaves that thread (it needs no `Sendable`), and a stage that
/// computes or blocks holds only its own thread — the concurrency pool stays free for the sink and servers.
/// Callers `await` the calls; the worker itself is `Sendable`.
final class StageWorker: Sendable {
    private enum Job: Sendable {
        case process([FrameRecord], CheckedContinuation<[FrameRecord], any Error>)
        case finish(CheckedContinuation<Void, any Error>)
        case close
    }

    let name: String
    private let jobs = Mutex<[Job]>([])
    private let available = DispatchSemaphore(value: 0)

    private init(name: String) { self.name = name }

    /// Starts the thread and waits until the plan's factory has built the stage on it (or failed).
    static func start(_ plan: StagePlan) async throws -> StageWorker {
        let worker = StageWorker(name: plan.name)
        try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
            let thread = Thread { worker.serve(plan, ready: ready) }
            thread.name = "mrcnn stage \(plan.name)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        return worker
    }

    /// The thread's body: build, then run jobs until `close`.
    private func serve(_ plan: StagePlan, ready: CheckedContinuation<Void, any Error>) {
        let stage: any Stage
        do {
            stage = try plan.make()
        } catch {
            ready.resume(throwing: Self.wrap(error, stage: plan.name))
            return
        }
        ready.resume()
        while true {
            available.wait()
            let job = jobs.withLock { $0.removeFirst() }
            switch job {
            case let .process(records, reply):
                var batch = records
                reply.resume(with: Result {
                    _ = plan.waits.take()
                    let start = ContinuousClock.now
                    do { try stage.process(&batch) } catch { throw Self.wrap(error, stage: name) }
                    guard batch.count == records.count else {
                        throw StageError.failed(stage: name, message: "returned \(batch.count) frames for a batch of \(records.count)")
                    }
                    // The stage's own work, shared evenly over the batch's frames (the waits it reported excluded).
                    let busy = max(0, start.duration(to: .now).inSeconds - plan.waits.take())
                    for i in batch.indices { batch[i].timing.add(name, ms: busy * 1000 / Double(batch.count)) }
                    return batch
                })
            case let .finish(reply):
                reply.resume(with: Result { do { try stage.finish() } catch { throw Self.wrap(error, stage: name) } })
            case .close:
                return
            }
        }
    }

    private func submit(_ job: Job) {
        jobs.withLock { $0.append(job) }
        available.signal()
    }

    /// Runs `process` on the stage's thread; the caller's task is suspended meanwhile, holding no thread.
    func process(_ batch: [FrameRecord]) async throws -> [FrameRecord] {
        try await withCheckedThrowingContinuation { submit(.process(batch, $0)) }
    }

    /// Runs `finish` on the stage's thread.
    func finish() async throws {
        try await withCheckedThrowingContinuation { submit(.finish($0)) }
    }

    /// Ends the thread after the jobs already submitted (the stage is released there).
    func close() { submit(.close) }

    static func wrap(_ error: any Error, stage: String) -> any Error {
        if error is StageError || error is CancellationError || error is StageFailure { return error }
        return StageFailure(stage: stage, underlying: error)
    }
}

/// An error a stage threw that is not a `StageError`, with the stage it came from; `description` is one line:
/// "stage 'NAME' failed: <the error>". A host may describe `underlying` in its own words.
public struct StageFailure: Error, CustomStringConvertible {
    public let stage: String
    public let underlying: any Error

    public var description: String { "stage '\(stage)' failed: \(underlying)" }
}
