import Foundation

/// How the reader feeds the first stage: `lossless` (every frame, backpressure) or `latest` (newest frames only).
///
/// - `lossless`: the reader waits while the first stage is busy (bounded buffers), so every frame read is
///   processed. The default, and the right choice for files.
/// - `latest`: the reader never waits. While the first stage is busy it keeps only the newest decoded frames
///   (at most one micro-batch) and drops older ones, counting them; when the stage is free it takes what is
///   there. The right choice for cameras and live streams, where waiting only adds latency (and a live
///   source cannot be slowed down anyway).
public enum FramePolicy: String, Sendable, CaseIterable {
    case lossless
    case latest
}

/// A micro-batch on its way through the runner: the records plus, per record, when the reader got it.
struct TimedBatch: Sendable {
    var records: [FrameRecord]
    var captured: [ContinuousClock.Instant]
}

/// The slot between the reader and the first stage in `latest` mode: holds at most `capacity` frames, a `put`
/// beyond that drops the oldest (counted), and `next()` takes everything waiting (suspending while empty).
final class LatestFrameMailbox: AsyncSequence, @unchecked Sendable {
    typealias Element = TimedBatch

    private let lock = NSLock()
    private let capacity: Int
    private var pending = TimedBatch(records: [], captured: [])
    private var ended = false
    private var failure: (any Error)?
    private var waiter: CheckedContinuation<TimedBatch?, any Error>?
    private var dropped = 0

    init(capacity: Int) { self.capacity = Swift.max(1, capacity) }

    /// Frames replaced by newer ones before any stage saw them.
    var droppedFrames: Int { lock.withLock { dropped } }

    /// Stores a frame (never waits); returns how many older frames it pushed out (0 or 1).
    @discardableResult
    func put(_ record: FrameRecord, captured: ContinuousClock.Instant) -> Int {
        var resume: (CheckedContinuation<TimedBatch?, any Error>, TimedBatch)?
        var pushedOut = 0
        lock.withLock {
            guard !ended else { return }
            if pending.records.count >= capacity {
                pending.records.removeFirst()
                pending.captured.removeFirst()
                dropped += 1
                pushedOut = 1
            }
            pending.records.append(record)
            pending.captured.append(captured)
            if let w = waiter {
                waiter = nil
                resume = (w, take())
            }
        }
        if let (w, batch) = resume { w.resume(returning: batch) }
        return pushedOut
    }

    /// Ends the sequence after what is waiting (with an error, after it).
    func finish(throwing error: (any Error)? = nil) {
        let w: CheckedContinuation<TimedBatch?, any Error>? = lock.withLock {
            ended = true
            if failure == nil { failure = error }
            defer { waiter = nil }
            return pending.records.isEmpty ? waiter : nil
        }
        guard let w else { return }
        if let error { w.resume(throwing: error) } else { w.resume(returning: nil) }
    }

    /// Everything waiting, or nil once finished and empty; throws the reader's error after the last frames.
    func next() async throws -> TimedBatch? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TimedBatch?, any Error>) in
                let ready: Result<TimedBatch?, any Error>? = lock.withLock {
                    if !pending.records.isEmpty { return .success(take()) }
                    if ended || Task.isCancelled {
                        if let failure { self.failure = nil; return .failure(failure) }
                        return .success(nil)
                    }
                    waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            finish(throwing: CancellationError())
        }
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
