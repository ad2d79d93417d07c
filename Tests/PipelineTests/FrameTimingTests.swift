import Foundation
import Pipeline
import Testing

/// Per-frame timing: parts accumulate in order on the record; a stage's reported waits are taken out of its time.
@Suite("frame timing")
struct FrameTimingTests {
    @Test("parts keep their order and accumulate; the record carries them")
    func parts() {
        var record = FrameRecord(index: 0, pts: 0, time: 0, image: RGBImage(width: 2, height: 2))
        record.timing.add("decode", ms: 1.5)
        record.timing.add("detector", ms: 10)
        record.timing.add("detector", ms: 5)
        record.timing.add("encode", ms: 2)
        #expect(record.timing.parts.map(\.name) == ["decode", "detector", "encode"])
        #expect(record.timing["detector"] == 15 && record.timing["decode"] == 1.5 && record.timing["mask"] == nil)
    }

    @Test("reported waits accumulate and reset when taken")
    func waits() {
        let waits = StageWaits()
        waits.add(.milliseconds(250))
        waits.add(.milliseconds(500))
        #expect(abs(waits.take() - 0.75) < 1e-9)
        #expect(waits.take() == 0)
    }

    /// Blocks for `wait` and reports it as waiting, then works for nothing.
    final class WaitingStage: Stage {
        let report: @Sendable (Duration) -> Void
        init(report: @escaping @Sendable (Duration) -> Void) { self.report = report }
        func process(_ batch: inout [FrameRecord]) throws {
            Thread.sleep(forTimeInterval: 0.2)
            report(.milliseconds(200))
        }
    }

    @Test("a stage's reported wait is not counted as its work")
    func reportedWaitIsExcluded() async throws {
        let registry = StageRegistry()
        registry.register("waiter", summary: "waits") { context in WaitingStage(report: context.reportWait) }
        let plans = try registry.plans(for: ["waiter"], options: try registry.resolve([:]))
        let source = CountingSource(count: 1)
        var timings: [FrameTiming] = []
        _ = try await PipelineRunner(plans: plans).run(read: { source.read() }) { timings.append($0.timing) }
        let busy = try #require(timings.first?["waiter"])
        // The stage slept 200 ms and reported all of it as waiting: what is left is bookkeeping, not the sleep.
        #expect(busy < 100, "busy \(busy) ms")
    }
}
