import Foundation
import Pipeline
import Testing

@Suite("PipelineRunner")
struct PipelineRunnerTests {
    @Test("frames reach the sink once each, in order, through every stage")
    func ordering() async throws {
        let a = RecordingStage(name: "a"), b = RecordingStage(name: "b")
        let source = CountingSource(count: 25)
        var seen: [Int] = []
        var instanceCounts: [Int] = []
        let summary = try await PipelineRunner(stages: [a, b], batchSize: 1)
            .run(read: { source.read() }) { record in
                seen.append(record.index)
                instanceCounts.append(record.instances.count)
            }
        #expect(seen == Array(0..<25))
        #expect(instanceCounts == Array(repeating: 2, count: 25))
        #expect(summary.frames == 25)
        #expect(!summary.stopped)
        #expect(summary.stages.map(\.name) == ["a", "b"])
        #expect(summary.stages.map(\.frames) == [25, 25])
        #expect(a.finishCount == 1 && b.finishCount == 1)
    }

    @Test("micro-batches have the configured size and the last partial batch is delivered")
    func microBatching() async throws {
        let stage = RecordingStage(name: "batched")
        let source = CountingSource(count: 10)
        var seen: [Int] = []
        _ = try await PipelineRunner(stages: [stage], batchSize: 4)
            .run(read: { source.read() }) { seen.append($0.index) }
        #expect(stage.seenBatches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        #expect(seen == Array(0..<10))
    }

    @Test("a slow stage loses no frame and holds the reader back (bounded buffers)")
    func backpressure() async throws {
        let slow = RecordingStage(name: "slow", delay: 0.01)
        let source = CountingSource(count: 40)
        var seen: [Int] = []
        var maxAhead = 0
        _ = try await PipelineRunner(stages: [RecordingStage(name: "fast"), slow], batchSize: 1, bufferDepth: 2)
            .run(read: { source.read() }) { record in
                seen.append(record.index)
                maxAhead = max(maxAhead, source.produced - record.index - 1)
            }
        #expect(seen == Array(0..<40))
        // Depth-2 buffers plus one batch in each task: the reader can never be far ahead of the sink.
        #expect(maxAhead <= 16)
        #expect(maxAhead < 39)
    }

    @Test("the stop flag ends reading; frames already read still reach the sink and stages finish")
    func stopFlag() async throws {
        let stop = StopFlag()
        let stage = RecordingStage(name: "s")
        let source = CountingSource(count: 1000, stopAfter: 7, stop: stop)
        var seen: [Int] = []
        let summary = try await PipelineRunner(stages: [stage], batchSize: 3)
            .run(read: { source.read() }, stop: stop) { seen.append($0.index) }
        #expect(summary.stopped)
        #expect(seen == Array(0..<7))
        #expect(stage.seenBatches.last == [6])
        #expect(stage.finishCount == 1)
    }

    @Test("an async sequence works as the source")
    func asyncSource() async throws {
        let frames = AsyncStream<FrameRecord> { continuation in
            for i in 0..<5 { continuation.yield(makeFrame(i)) }
            continuation.finish()
        }
        var seen: [Int] = []
        let summary = try await PipelineRunner(stages: [RecordingStage(name: "x")], batchSize: 2)
            .run(frames: frames) { seen.append($0.index) }
        #expect(seen == [0, 1, 2, 3, 4])
        #expect(summary.frames == 5)
    }

    @Test("a stage error ends the run with one line naming the stage")
    func stageError() async throws {
        let source = CountingSource(count: 100)
        var seen: [Int] = []
        do {
            _ = try await PipelineRunner(stages: [FailingStage(failAt: 5)])
                .run(read: { source.read() }) { seen.append($0.index) }
            Issue.record("expected an error")
        } catch {
            let text = String(describing: error)
            #expect(text == "stage 'failing' failed: boom")
            #expect(!text.contains("\n"))
        }
        #expect(seen == [0, 1, 2, 3, 4])
    }

    @Test("a source error arrives after the frames read before it")
    func sourceError() async throws {
        struct ReadFailed: Error {}
        let source = CountingSource(count: 3)
        var seen: [Int] = []
        await #expect(throws: ReadFailed.self) {
            _ = try await PipelineRunner(stages: [RecordingStage(name: "r")]).run(read: {
                guard let frame = source.read() else { throw ReadFailed() }
                return frame
            }) { seen.append($0.index) }
        }
        #expect(seen == [0, 1, 2])
    }

    @Test("an empty chain passes frames straight to the sink")
    func emptyChain() async throws {
        let source = CountingSource(count: 3)
        var seen: [Int] = []
        let summary = try await PipelineRunner(stages: []).run(read: { source.read() }) { seen.append($0.index) }
        #expect(seen == [0, 1, 2])
        #expect(summary.stages.isEmpty)
        #expect(summary.source.frames == 3 && summary.sink.frames == 3)
    }
}
