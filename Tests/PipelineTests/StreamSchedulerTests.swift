import Foundation
import Pipeline
import Synchronization
import Testing

/// A source that fails on its `failAt`-th read.
final class BrokenSource: Sendable {
    struct Broken: Error, CustomStringConvertible { var description: String { "broken" } }
    private let next = Mutex(0)
    let failAt: Int
    init(failAt: Int) { self.failAt = failAt }

    func read() throws -> FrameRecord? {
        let index = next.withLock { n in defer { n += 1 }; return n }
        if index == failAt { throw Broken() }
        return makeFrame(index)
    }
}

@Suite("Many streams, one chain: the stream scheduler")
struct StreamSchedulerTests {
    @Test("lossless streams: every frame of every stream once, in its order, stamped with its stream")
    func losslessEveryFrame() async throws {
        let scheduler = StreamScheduler(batchSize: 3)
        let sources = [CountingSource(count: 5), CountingSource(count: 12), CountingSource(count: 30)]
        for (n, source) in sources.enumerated() {
            let id = scheduler.add(name: "s\(n)", policy: .lossless, capacity: 6, read: { source.read() })
            #expect(id == n)
        }
        var seen: [Int: [Int]] = [:]
        let summary = try await PipelineRunner(stages: [RecordingStage(name: "a")], batchSize: 3)
            .run(streams: scheduler) { seen[$0.stream, default: []].append($0.index) }
        #expect(summary.frames == 47)
        #expect(seen[0] == Array(0..<5) && seen[1] == Array(0..<12) && seen[2] == Array(0..<30))
        #expect(scheduler.counts.map(\.read) == [5, 12, 30])
        #expect(scheduler.counts.allSatisfy { $0.ended && $0.dropped == 0 })
    }

    @Test("round robin: while two streams have frames waiting, each batch takes one of each")
    func roundRobin() async throws {
        // The stage takes 50 ms a batch; the readers fill their queues in microseconds meanwhile (a 1000x margin).
        let scheduler = StreamScheduler(batchSize: 2)
        let fast = CountingSource(count: 40), other = CountingSource(count: 20)
        scheduler.add(name: "fast", policy: .lossless, capacity: 4, read: { fast.read() })
        scheduler.add(name: "other", policy: .lossless, capacity: 4, read: { other.read() })
        let stage = RecordingStage(name: "slow", delay: 0.05)
        var streams: [Int] = []
        _ = try await PipelineRunner(stages: [stage], batchSize: 2).run(streams: scheduler) { streams.append($0.stream) }
        #expect(streams.count == 60)
        // From the second batch until "other" has run out (its 20 frames), every batch is one frame of each stream.
        let pairs = stride(from: 2, to: 38, by: 2).map { Set(streams[$0..<$0 + 2]) }
        #expect(pairs.allSatisfy { $0 == [0, 1] }, "\(streams)")
        #expect(stage.seenBatches.allSatisfy { $0.count <= 2 })
    }

    @Test("weights: with both queues full, a stream of weight 2 fills two of every three slots until it runs out")
    func weightedSlots() async throws {
        let scheduler = StreamScheduler(batchSize: 3)
        let heavy = CountingSource(count: 30), light = CountingSource(count: 30)
        scheduler.add(name: "heavy", policy: .lossless, capacity: 31, weight: 2, read: { heavy.read() })
        scheduler.add(name: "light", policy: .lossless, capacity: 31, read: { light.read() })
        // Every frame queued (and the end seen: room for one more) before the first batch is taken: the slots depend
        // on the weights alone.
        while !scheduler.counts.allSatisfy(\.ended) { try await Task.sleep(for: .milliseconds(5)) }
        var streams: [Int] = []
        _ = try await PipelineRunner(stages: [RecordingStage(name: "a")], batchSize: 3).run(streams: scheduler) { streams.append($0.stream) }
        #expect(streams.count == 60)
        #expect(Array(streams.prefix(45)) == Array(repeating: [0, 1, 0], count: 15).flatMap { $0 }, "\(streams)")
        #expect(streams.suffix(15).allSatisfy { $0 == 1 })
    }

    @Test("latest streams: a slow chain drops older frames per stream, counted; every frame read is delivered or dropped")
    func latestDropsPerStream() async throws {
        let monitor = PipelineMonitor()
        let scheduler = StreamScheduler(batchSize: 2, inFlightLimit: 1, monitor: monitor)
        let a = PacedSource(count: 40, interval: 0.004), b = PacedSource(count: 25, interval: 0.006)
        scheduler.add(name: "a", policy: .latest, capacity: 1, read: { a.read() })
        scheduler.add(name: "b", policy: .latest, capacity: 1, read: { b.read() })
        var delivered: [Int: [Int]] = [:]
        let summary = try await PipelineRunner(stages: [RecordingStage(name: "slow", delay: 0.05)], batchSize: 2, policy: .latest)
            .run(streams: scheduler, monitor: monitor) { delivered[$0.stream, default: []].append($0.index) }
        let counts = scheduler.counts
        #expect(counts.map(\.read) == [40, 25])
        for id in 0..<2 {
            let frames = delivered[id] ?? []
            #expect(frames == frames.sorted() && !frames.isEmpty)
            #expect(frames.count + counts[id].dropped == counts[id].read)
        }
        #expect(delivered[0]?.last == 39 && delivered[1]?.last == 24)   // the newest frame of each stream wins
        #expect(summary.dropped == counts[0].dropped + counts[1].dropped && summary.dropped > 0)
    }

    @Test("a failing stream ends alone and says why; the others run to their end")
    func failingStreamEndsAlone() async throws {
        let scheduler = StreamScheduler(batchSize: 2)
        let failure = Mutex<String?>(nil)
        let good = CountingSource(count: 15), broken = BrokenSource(failAt: 3)
        scheduler.add(name: "good", policy: .lossless, capacity: 4, read: { good.read() })
        scheduler.add(name: "broken", policy: .lossless, capacity: 4, read: { try broken.read() }) { error in
            failure.withLock { $0 = error.map { "\($0)" } }
        }
        var seen: [Int: [Int]] = [:]
        _ = try await PipelineRunner(stages: [RecordingStage(name: "a")], batchSize: 2)
            .run(streams: scheduler) { seen[$0.stream, default: []].append($0.index) }
        #expect(seen[0] == Array(0..<15) && seen[1] == [0, 1, 2])
        #expect(failure.withLock { $0 } == "broken")
    }

    @Test("a fatal stream's error ends the run after the frames before it")
    func fatalStream() async throws {
        let scheduler = StreamScheduler(batchSize: 1)
        let broken = BrokenSource(failAt: 4)
        scheduler.add(name: "only", policy: .lossless, capacity: 2, fatal: true, read: { try broken.read() })
        var seen: [Int] = []
        await #expect(throws: BrokenSource.Broken.self) {
            _ = try await PipelineRunner(stages: [RecordingStage(name: "a")]).run(streams: scheduler) { seen.append($0.index) }
        }
        #expect(seen == [0, 1, 2, 3])
    }

    @Test("a stop ends a run whose streams never end")
    func stopEndsEndlessStreams() async throws {
        let scheduler = StreamScheduler(batchSize: 2)
        let stop = StopFlag()
        let endless = [PacedSource(count: .max, interval: 0.002), PacedSource(count: .max, interval: 0.003)]
        for (n, source) in endless.enumerated() { scheduler.add(name: "\(n)", policy: .latest, capacity: 1, read: { source.read() }) }
        var frames = 0
        let summary = try await PipelineRunner(stages: [RecordingStage(name: "a")], batchSize: 2).run(streams: scheduler, stop: stop) { _ in
            frames += 1
            if frames == 10 { stop.set() }
        }
        #expect(summary.stopped && summary.frames >= 10)
    }
}
