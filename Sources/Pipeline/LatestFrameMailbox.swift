import Foundation
import Synchronization

/// A micro-batch on its way through the runner: the records plus, per record, when the reader got it.
struct TimedBatch: Sendable {
    var records: [FrameRecord]
    var captured: [ContinuousClock.Instant]
}

/// The slot between the reader and the first stage in `latest` mode: holds at most `capacity` frames, a `put`
/// beyond that drops the oldest (counted), and `next()` takes everything waiting (suspending while empty).
///
/// `next()` also waits while `inFlightLimit` batches are taken but not yet `release`d by the sink, so the
/// first stage starts on the freshest frame only when the chain can take it, instead of starting early and
/// letting the frame age in a queue further down (with model stages that share the cores, starting early
/// gains no throughput, only latency).
final class LatestFrameMailbox: AsyncSequence, Sendable {
    typealias Element = TimedBatch
    private typealias Waiter = CheckedContinuation<TimedBatch?, any Error>

    private struct State {
        let capacity: Int
        let inFlightLimit: Int
        var inFlight = 0
        var pending = TimedBatch(records: [], captured: [])
        var ended = false
        var failure: (any Error)?
        var waiter: Waiter?
        var dropped = 0

        /// What `next()` can return now, if anything.
        mutating func available() -> Result<TimedBatch?, any Error>? {
            if !pending.records.isEmpty {
                guard inFlight < inFlightLimit else { return nil }
                inFlight += 1
                defer { pending = TimedBatch(records: [], captured: []) }
                return .success(pending)
            }
            guard ended else { return nil }
            if let failure {
                self.failure = nil
                return .failure(failure)
            }
            return .success(nil)
        }

        /// The waiting `next()` and its result, when it can be resumed now.
        mutating func resumable() -> (Waiter, Result<TimedBatch?, any Error>)? {
            guard let w = waiter, let result = available() else { return nil }
            waiter = nil
            return (w, result)
        }
    }

    private let state: Mutex<State>

    init(capacity: Int, inFlightLimit: Int) {
        state = Mutex(State(capacity: Swift.max(1, capacity), inFlightLimit: Swift.max(1, inFlightLimit)))
    }

    /// Frames replaced by newer ones before any stage saw them.
    var droppedFrames: Int { state.withLock { $0.dropped } }

    /// Stores a frame (never waits); returns how many older frames it pushed out (0 or 1).
    @discardableResult
    func put(_ record: FrameRecord, captured: ContinuousClock.Instant) -> Int {
        let (pushedOut, ready): (Int, (Waiter, Result<TimedBatch?, any Error>)?) = state.withLock { s in
            guard !s.ended else { return (0, nil) }
            var pushedOut = 0
            if s.pending.records.count >= s.capacity {
                s.pending.records.removeFirst()
                s.pending.captured.removeFirst()
                s.dropped += 1
                pushedOut = 1
            }
            s.pending.records.append(record)
            s.pending.captured.append(captured)
            return (pushedOut, s.resumable())
        }
        if let (w, result) = ready { w.resume(with: result) }
        return pushedOut
    }

    /// The sink is done with one batch taken from here.
    func release() {
        let ready = state.withLock { s in
            s.inFlight = Swift.max(0, s.inFlight - 1)
            return s.resumable()
        }
        if let (w, result) = ready { w.resume(with: result) }
    }

    /// Ends the sequence after what is waiting (with an error, after it).
    func finish(throwing error: (any Error)? = nil) {
        let ready: (Waiter, Result<TimedBatch?, any Error>)? = state.withLock { s in
            s.ended = true
            if s.failure == nil { s.failure = error }
            if error is CancellationError, let w = s.waiter {   // cancelled: wake the stage whatever is pending
                s.waiter = nil
                return (w, .failure(CancellationError()))
            }
            return s.resumable()
        }
        if let (w, result) = ready { w.resume(with: result) }
    }

    /// Everything waiting, or nil once finished and empty; throws the reader's error after the last frames.
    func next() async throws -> TimedBatch? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let ready: Result<TimedBatch?, any Error>? = state.withLock { s in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let result = s.available() { return result }
                    s.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            finish(throwing: CancellationError())
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let mailbox: LatestFrameMailbox
        mutating func next() async throws -> TimedBatch? { try await mailbox.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(mailbox: self) }
}
