import Foundation

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
final class LatestFrameMailbox: AsyncSequence, @unchecked Sendable {
    typealias Element = TimedBatch

    private let lock = NSLock()
    private let capacity: Int
    private let inFlightLimit: Int
    private var inFlight = 0
    private var pending = TimedBatch(records: [], captured: [])
    private var ended = false
    private var failure: (any Error)?
    private var waiter: CheckedContinuation<TimedBatch?, any Error>?
    private var dropped = 0

    init(capacity: Int, inFlightLimit: Int) {
        self.capacity = Swift.max(1, capacity)
        self.inFlightLimit = Swift.max(1, inFlightLimit)
    }

    /// Frames replaced by newer ones before any stage saw them.
    var droppedFrames: Int { lock.withLock { dropped } }

    /// Stores a frame (never waits); returns how many older frames it pushed out (0 or 1).
    @discardableResult
    func put(_ record: FrameRecord, captured: ContinuousClock.Instant) -> Int {
        var pushedOut = 0
        let ready: (CheckedContinuation<TimedBatch?, any Error>, Result<TimedBatch?, any Error>)? = lock.withLock {
            guard !ended else { return nil }
            if pending.records.count >= capacity {
                pending.records.removeFirst()
                pending.captured.removeFirst()
                dropped += 1
                pushedOut = 1
            }
            pending.records.append(record)
            pending.captured.append(captured)
            return resumable()
        }
        if let (w, result) = ready { w.resume(with: result) }
        return pushedOut
    }

    /// The sink is done with one batch taken from here.
    func release() {
        let ready = lock.withLock { () -> (CheckedContinuation<TimedBatch?, any Error>, Result<TimedBatch?, any Error>)? in
            inFlight = Swift.max(0, inFlight - 1)
            return resumable()
        }
        if let (w, result) = ready { w.resume(with: result) }
    }

    /// Ends the sequence after what is waiting (with an error, after it).
    func finish(throwing error: (any Error)? = nil) {
        let ready = lock.withLock { () -> (CheckedContinuation<TimedBatch?, any Error>, Result<TimedBatch?, any Error>)? in
            ended = true
            if failure == nil { failure = error }
            if error is CancellationError, let w = waiter {   // cancelled: wake the stage whatever is pending
                waiter = nil
                return (w, .failure(CancellationError()))
            }
            return resumable()
        }
        if let (w, result) = ready { w.resume(with: result) }
    }

    /// Everything waiting, or nil once finished and empty; throws the reader's error after the last frames.
    func next() async throws -> TimedBatch? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TimedBatch?, any Error>) in
                let ready: Result<TimedBatch?, any Error>? = lock.withLock {
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let result = available() { return result }
                    waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            finish(throwing: CancellationError())
        }
    }

    /// What `next()` can return now, if anything; call with the lock held.
    private func available() -> Result<TimedBatch?, any Error>? {
        if !pending.records.isEmpty {
            guard inFlight < inFlightLimit else { return nil }
            inFlight += 1
            return .success(take())
        }
        guard ended else { return nil }
        if let failure {
            self.failure = nil
            return .failure(failure)
        }
        return .success(nil)
    }

    /// The waiting `next()` and its result, when it can be resumed now; call with the lock held.
    private func resumable() -> (CheckedContinuation<TimedBatch?, any Error>, Result<TimedBatch?, any Error>)? {
        guard let w = waiter, let result = available() else { return nil }
        waiter = nil
        return (w, result)
    }

    /// Empties the slot; call with the lock held.
    private func take() -> TimedBatch {
        defer { pending = TimedBatch(records: [], captured: []) }
        return pending
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let mailbox: LatestFrameMailbox
        mutating func next() async throws -> TimedBatch? { try await mailbox.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(mailbox: self) }
}
