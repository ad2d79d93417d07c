import Foundation
import Pipeline
import Testing

/// Per-frame timing: parts accumulate in order; a stage's waits for the compute gate are taken out per thread.
@Suite("frame timing")
struct FrameTimingTests {
    @Test("parts keep their order and accumulate; the record carries them")
    func parts() {
        var record = FrameRecord(index: 0, pts: 0, time: 0, image: RGBImage(width: 2, height: 2))
        FrameTiming.record("decode", ms: 1.5, in: &record)
        FrameTiming.record("detector", ms: 10, in: &record)
        FrameTiming.record("detector", ms: 5, in: &record)
        FrameTiming.record("encode", ms: 2, in: &record)
        let timing = record.features[FrameTiming.key]
        #expect(timing?.parts.map(\.name) == ["decode", "detector", "encode"])
        #expect(timing?["detector"] == 15 && timing?["decode"] == 1.5 && timing?["mask"] == nil)
    }

    @Test("waits are counted per thread and reset when taken")
    func waits() {
        _ = StageWaits.take()
        StageWaits.add(0.25)
        StageWaits.add(0.5)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var other = 0.0
        Thread { StageWaits.add(9); other = StageWaits.take(); done.signal() }.start()
        done.wait()
        #expect(other == 9)
        #expect(StageWaits.take() == 0.75)
        #expect(StageWaits.take() == 0)
    }
}
