import Foundation
import Synchronization

/// The front of a run with one or many sources: one reader thread per stream, each with its own `FramePolicy`
/// (`lossless`: a bounded queue that holds its reader back; `latest`: the newest frames only, older ones dropped and
/// counted), and fair micro-batches taken by weighted round robin over the streams with a frame ready (`WeightedTurns`:
/// equal weights take one frame per stream per turn; weight 2 gets twice the slots of weight 1 under load), so a fast
/// stream never starves a slow one. Frames keep their order within a stream and carry its id in
/// `FrameRecord.stream`. A stream that fails ends alone (its `onEnd` hears why) unless it was added as `fatal`.
/// The sequence ends when every stream has ended and drained, or at `stop()`. Thread-safe.
public final class StreamScheduler: Sendable {
    /// One stream's counts so far.
    public struct Counts: Sendable, Equatable {
        public let name: String
        public let read: Int
        public let dropped: Int
        public let ended: Bool
    }

    private typealias Waiter = CheckedContinuation<TimedBatch?, any Error>

    private final class Feed: Sendable {
        let name: String, policy: FramePolicy, capacity: Int, weight: Int, fatal: Bool
        /// Free places in a lossless queue; its reader waits on it.
        let room: DispatchSemaphore?

        init(name: String, policy: FramePolicy, capacity: Int, weight: Int, fatal: Bool) {
            (self.name, self.policy, self.capacity, self.weight, self.fatal) = (name, policy, max(1, capacity), max(1, weight), fatal)
            // Made at 0 and raised: libdispatch traps on freeing a semaphore whose value is below its initial one.
            room = policy == .lossless ? DispatchSemaphore(value: 0) : nil
            for _ in 0..<self.capacity { room?.signal() }
        }
    }

    private struct Queue {
        let feed: Feed
        var frames: [(record: FrameRecord, captured: ContinuousClock.Instant)] = []
        var read = 0, dropped = 0
        var ended = false, removed = false
        var failure: (any Error)?
    }

    private struct State {
        var queues: [Int: Queue] = [:]
        var order: [Int] = []
        var turns = WeightedTurns()
        var inFlight = 0
        var stopped = false
        var waiter: Waiter?
    }

    /// Frames per micro-batch at most.
    public let batchSize: Int
    /// Batches taken but not yet `release`d after which `next()` waits (nil: no limit; bounded buffers hold back).
    public let inFlightLimit: Int?
    private let monitor: PipelineMonitor?
    private let state = Mutex(State())

    /// `monitor` (the runner's) counts the frames latest-frame streams drop.
    public init(batchSize: Int, inFlightLimit: Int? = nil, monitor: PipelineMonitor? = nil) {
        self.batchSize = max(1, batchSize)
        self.inFlightLimit = inFlightLimit.map { max(1, $0) }
        self.monitor = monitor
    }

    /// Adds a stream and starts its reader thread, which calls `read` (blocking; nil = end of the stream) until the
    /// end, an error or `stop()`, stamping `FrameRecord.stream` with the returned id. `capacity`: frames kept
    /// waiting (lossless: the reader waits beyond it; latest: older ones are dropped); `weight` (≥ 1): its share of
    /// the batch slots while several streams have frames ready. `onEnd` runs on the reader's thread with the error
    /// that ended it, if any; a `fatal` stream's error also ends the whole sequence, after its frames.
    @discardableResult
    public func add(name: String, policy: FramePolicy, capacity: Int, weight: Int = 1, fatal: Bool = false,
                    read: @escaping @Sendable () throws -> FrameRecord?,
                    onEnd: @escaping @Sendable ((any Error)?) -> Void = { _ in }) -> Int {
        let feed = Feed(name: name, policy: policy, capacity: capacity, weight: weight, fatal: fatal)
        let id: Int = state.withLock { s in
            let id = (s.order.max() ?? -1) + 1
            s.queues[id] = Queue(feed: feed)
            s.order.append(id)
            return id
        }
        let thread = Thread { [self] in
            var failure: (any Error)?
            while true {
                feed.room?.wait()
                if isGone(id) { break }
                do {
                    guard var record = try read() else { break }
                    record.stream = id
                    put(record, into: id)
                } catch {
                    failure = error
                    break
                }
            }
            end(id, failure: failure)
            onEnd(failure)
        }
        thread.name = "mrcnn.stream.\(id)"
        thread.start()
        return id
    }

    /// Removes a stream: its reader stops after its current read; frames already taken still reach the sink.
    public func remove(_ id: Int) {
        let room = state.withLock { s -> DispatchSemaphore? in
            s.queues[id]?.removed = true
            return s.queues[id]?.feed.room
        }
        room?.signal()
    }

    /// Ends the sequence now: readers stop after their current read, waiting frames are let go.
    public func stop() {
        let (rooms, waiter) = state.withLock { s -> ([DispatchSemaphore], Waiter?) in
            s.stopped = true
            defer { s.waiter = nil }
            return (s.queues.values.compactMap(\.feed.room), s.waiter)
        }
        for room in rooms { room.signal() }
        waiter?.resume(returning: nil)
    }

    /// Every stream's counts, in the order they were added.
    public var counts: [Counts] {
        state.withLock { s in
            s.order.compactMap { s.queues[$0] }.map { Counts(name: $0.feed.name, read: $0.read, dropped: $0.dropped, ended: $0.ended) }
        }
    }

    /// The sink is done with one batch taken by `next()`.
    public func release() {
        let ready = state.withLock { s in
            s.inFlight = max(0, s.inFlight - 1)
            return resumable(&s)
        }
        if let (w, result) = ready { w.resume(with: result) }
    }

    /// The next fair micro-batch, or nil once every stream has ended and drained (or after `stop()`).
    func next() async throws -> TimedBatch? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let ready: Result<TimedBatch?, any Error>? = state.withLock { s in
                    if Task.isCancelled || s.stopped { return .success(nil) }
                    if let result = available(&s) { return result }
                    s.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            stop()
        }
    }

    private func isGone(_ id: Int) -> Bool { state.withLock { $0.stopped || $0.queues[id]?.removed != false } }

    private func put(_ record: FrameRecord, into id: Int) {
        let (dropped, ready) = state.withLock { s -> (Int, (Waiter, Result<TimedBatch?, any Error>)?) in
            guard var q = s.queues[id], !s.stopped else { return (0, nil) }
            var dropped = 0
            if q.feed.policy == .latest, q.frames.count >= q.feed.capacity {
                q.frames.removeFirst()
                dropped = 1
            }
            q.frames.append((record, .now))
            q.read += 1
            q.dropped += dropped
            s.queues[id] = q
            return (dropped, resumable(&s))
        }
        monitor?.addDropped(dropped)
        if let (w, result) = ready { w.resume(with: result) }
    }

    private func end(_ id: Int, failure: (any Error)?) {
        let ready = state.withLock { s -> (Waiter, Result<TimedBatch?, any Error>)? in
            s.queues[id]?.ended = true
            if s.queues[id]?.feed.fatal == true { s.queues[id]?.failure = failure }
            return resumable(&s)
        }
        if let (w, result) = ready { w.resume(with: result) }
    }

    private func resumable(_ s: inout State) -> (Waiter, Result<TimedBatch?, any Error>)? {
        guard let w = s.waiter, let result = available(&s) else { return nil }
        s.waiter = nil
        return (w, result)
    }

    /// What `next()` can return now, if anything: a batch, the end, or a fatal stream's error.
    private func available(_ s: inout State) -> Result<TimedBatch?, any Error>? {
        let live = s.order.filter { s.queues[$0].map { !$0.ended || !$0.frames.isEmpty } ?? false }
        let waiting = live.filter { !s.queues[$0]!.frames.isEmpty }
        if waiting.isEmpty {
            if let id = s.order.first(where: { s.queues[$0]?.failure != nil }) {
                defer { s.queues[id]?.failure = nil }
                return .failure(s.queues[id]!.failure!)
            }
            return live.isEmpty ? .success(nil) : nil
        }
        if let limit = inFlightLimit, s.inFlight >= limit { return nil }
        // Lossless streams fill whole batches (as a single file does) unless a frame of every running one is there.
        let total = waiting.reduce(0) { $0 + s.queues[$1]!.frames.count }
        let allLossless = live.allSatisfy { s.queues[$0]!.feed.policy == .lossless }
        let started = live.filter { s.queues[$0]!.read > 0 && !s.queues[$0]!.ended }
        if allLossless, total < batchSize, !started.allSatisfy({ !s.queues[$0]!.frames.isEmpty }) { return nil }
        var batch = TimedBatch(records: [], captured: [])
        var rooms: [DispatchSemaphore] = []
        while batch.records.count < batchSize {
            let ready = s.order.compactMap { id in s.queues[id].flatMap { $0.frames.isEmpty ? nil : (id: id, weight: $0.feed.weight) } }
            guard let id = s.turns.next(ready), var q = s.queues[id] else { break }
            let (record, captured) = q.frames.removeFirst()
            batch.records.append(record)
            batch.captured.append(captured)
            if let room = q.feed.room { rooms.append(room) }
            s.queues[id] = q
        }
        for room in rooms { room.signal() }
        s.inFlight += 1
        return .success(batch)
    }
}
