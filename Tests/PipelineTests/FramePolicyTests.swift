import Foundation
import Pipeline
import Testing

/// A source that produces a frame every `interval` seconds, like a camera, for `count` frames.
final class PacedSource: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    let count: Int
    let interval: TimeInterval

    init(count: Int, interval: TimeInterval) {
        self.count = count
        self.interval = interval
    }

    var produced: Int { lock.withLock { next } }

    func read() -> FrameRecord? {
        let index: Int? = lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
        guard let index else { return nil }
        Thread.sleep(forTimeInterval: interval)
        return makeFrame(index)
    }
}

@Suite("Frame policy: latest vs lossless")
struct FramePolicyTests {
    @Test("latest: a slow stage makes the reader drop older frames, count them, and deliver the newest")
    func latestDrops() async throws {
        // The source makes a frame every 5 ms; the stage needs 60 ms per frame.
        let slow = RecordingStage(name: "slow", delay: 0.06)
        let source = PacedSource(count: 60, interval: 0.005)
        var seen: [Int] = []
        let summary = try await PipelineRunner(stages: [slow, RecordingStage(name: "after")], policy: .latest)
            .run(read: { source.read() }) { seen.append($0.index) }
        #expect(summary.policy == .latest)
        #expect(summary.dropped > 0)
        #expect(seen.count < 60)
        // Every frame is either delivered or counted as dropped.
        #expect(seen.count + summary.dropped == 60)
        #expect(summary.frames == seen.count)
        // In order, no duplicates, and the last frame of the source is delivered (the newest wins).
        #expect(seen == seen.sorted() && Set(seen).count == seen.count)
        #expect(seen.last == 59)
        #expect(summary.latency.count == seen.count)
        #expect(summary.latency.maxMilliseconds >= 60)
        #expect(slow.finishCount == 1)
    }

    @Test("latest: each frame the stage takes is the newest one read while it was busy")
    func latestTakesNewest() async throws {
        let slow = RecordingStage(name: "slow", delay: 0.05)
        let source = PacedSource(count: 40, interval: 0.004)
        var gaps: [Int] = []
        var previous: Int?
        _ = try await PipelineRunner(stages: [slow], policy: .latest).run(read: { source.read() }) { record in
            if let previous { gaps.append(record.index - previous) }
            previous = record.index
        }
        // While the stage sleeps 50 ms the source makes ~12 frames: jumps well above 1 must occur.
        #expect((gaps.max() ?? 0) > 3)
    }

    @Test("latest: the first stage starts a frame only when the previous result reached the sink (in-flight limit 1)")
    func oneInFlight() async throws {
        let inFlight = Counter(), overlaps = Counter()
        let first = CallbackStage(name: "first", delay: 0.02) {
            if inFlight.value > 0 { overlaps.increment() }
            inFlight.increment()
        }
        let source = PacedSource(count: 40, interval: 0.003)
        var seen = 0
        let summary = try await PipelineRunner(stages: [first, RecordingStage(name: "second", delay: 0.02)], policy: .latest)
            .run(read: { source.read() }) { _ in
                inFlight.decrement()
                seen += 1
            }
        #expect(overlaps.value == 0)
        #expect(seen + summary.dropped == 40 && summary.dropped > 0)
    }

    @Test("lossless: the same slow stage drops nothing")
    func losslessKeepsAll() async throws {
        let slow = RecordingStage(name: "slow", delay: 0.02)
        let source = PacedSource(count: 30, interval: 0.002)
        var seen: [Int] = []
        let summary = try await PipelineRunner(stages: [slow]).run(read: { source.read() }) { seen.append($0.index) }
        #expect(summary.policy == .lossless)
        #expect(summary.dropped == 0)
        #expect(seen == Array(0..<30))
        #expect(summary.latency.count == 30)
        #expect(summary.latency.meanMilliseconds >= 20)
    }

    @Test("latest with batches: a stage gets at most batch-size frames, the newest")
    func latestBatches() async throws {
        let slow = RecordingStage(name: "slow", delay: 0.05)
        let source = PacedSource(count: 50, interval: 0.003)
        var seen: [Int] = []
        let summary = try await PipelineRunner(stages: [slow], batchSize: 3, policy: .latest)
            .run(read: { source.read() }) { seen.append($0.index) }
        #expect(slow.seenBatches.allSatisfy { (1...3).contains($0.count) })
        #expect(seen.count + summary.dropped == 50)
        #expect(seen.last == 49)
    }

    @Test("latest: the stop flag ends reading, the waiting frames still arrive; an empty chain works")
    func latestStopAndEmptyChain() async throws {
        let stop = StopFlag()
        let source = CountingSource(count: 10_000, stopAfter: 20, stop: stop)
        var seen: [Int] = []
        let summary = try await PipelineRunner(stages: [], policy: .latest)
            .run(read: { source.read() }, stop: stop) { seen.append($0.index) }
        #expect(summary.stopped)
        #expect(seen.count + summary.dropped == 20)
        #expect(seen.last == 19)
    }

    @Test("latest: a source error reaches the caller after the frames read before it")
    func latestSourceError() async throws {
        struct ReadFailed: Error {}
        let source = CountingSource(count: 3)
        await #expect(throws: ReadFailed.self) {
            _ = try await PipelineRunner(stages: [RecordingStage(name: "r")], policy: .latest).run(read: {
                guard let frame = source.read() else { throw ReadFailed() }
                return frame
            }) { _ in }
        }
    }

    @Test("a monitor shows live counters while the run goes on; whenSet actions run once")
    func monitorAndStopActions() async throws {
        let monitor = PipelineMonitor()
        let stop = StopFlag()
        let calls = Counter()
        stop.whenSet { calls.increment() }
        let source = CountingSource(count: 1000, stopAfter: 12, stop: stop)
        var snapshots: [PipelineSnapshot] = []
        _ = try await PipelineRunner(stages: [RecordingStage(name: "a", delay: 0.002)])
            .run(read: { source.read() }, stop: stop, monitor: monitor) { _ in snapshots.append(monitor.snapshot()) }
        stop.set()
        #expect(calls.value == 1)
        #expect(snapshots.map(\.frames) == Array(1...12))
        #expect(snapshots.last?.parts.map(\.name) == ["source", "a", "sink"])
        #expect((snapshots.last?.recentFramesPerSecond ?? 0) > 0)
    }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    func decrement() { lock.withLock { count -= 1 } }
    var value: Int { lock.withLock { count } }
}

/// Calls `onProcess` for each batch, then sleeps `delay`.
final class CallbackStage: NamedStage, @unchecked Sendable {
    let name: String
    let delay: TimeInterval
    let onProcess: @Sendable () -> Void

    init(name: String, delay: TimeInterval, onProcess: @escaping @Sendable () -> Void) {
        self.name = name
        self.delay = delay
        self.onProcess = onProcess
    }

    func process(_ batch: inout [FrameRecord]) throws {
        onProcess()
        Thread.sleep(forTimeInterval: delay)
    }
}
