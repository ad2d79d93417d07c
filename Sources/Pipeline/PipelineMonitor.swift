import Foundation
import Synchronization

/// Live counters of one run: timings per part, drops, latency samples, recent throughput.
/// Pass one to `PipelineRunner.run` to read `snapshot()` from another task while it runs; thread-safe.
public final class PipelineMonitor: Sendable {
    private struct State {
        var policy: FramePolicy = .lossless
        var source = TimingAccumulator(name: "source")
        var stages: [TimingAccumulator] = []
        var sink = TimingAccumulator(name: "sink")
        var delivered = 0
        var dropped = 0
        var latencies: [Float] = []
        var recent: [ContinuousClock.Instant] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Called by the runner before it starts; keeps the drops counted so far (readers of a `StreamScheduler` may
    /// start before the runner does).
    func begin(stageNames: [String], policy: FramePolicy) -> (source: TimingAccumulator, stages: [TimingAccumulator], sink: TimingAccumulator) {
        state.withLock { s in
            s = State(policy: policy, stages: stageNames.map { TimingAccumulator(name: $0) }, dropped: s.dropped)
            return (s.source, s.stages, s.sink)
        }
    }

    func addDropped(_ n: Int) {
        guard n > 0 else { return }
        state.withLock { $0.dropped += n }
    }

    /// Records one frame handed to the sink, captured at `captured`.
    func delivered(captured: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        let ms = captured.duration(to: now).inSeconds * 1000
        state.withLock { s in
            s.delivered += 1
            s.latencies.append(Float(ms))
            s.recent.append(now)
            if s.recent.count > 64 { s.recent.removeFirst(s.recent.count - 64) }
        }
    }

    /// The current counters.
    public func snapshot() -> PipelineSnapshot {
        state.withLock { s in
            var fps = 0.0
            if s.recent.count >= 2, let first = s.recent.first, let last = s.recent.last {
                let window = first.duration(to: last).inSeconds
                // A stalled pipeline shows its rate falling: count the time since the last frame too.
                let idle = last.duration(to: .now).inSeconds
                fps = window > 0 ? Double(s.recent.count - 1) / (window + max(0, idle - window / Double(s.recent.count - 1))) : 0
            }
            return PipelineSnapshot(frames: s.delivered, dropped: s.dropped, recentFramesPerSecond: fps,
                                    lastLatencyMilliseconds: s.latencies.last.map(Double.init) ?? 0,
                                    parts: [s.source.timing] + s.stages.map(\.timing) + [s.sink.timing], policy: s.policy)
        }
    }

    /// Final latency statistics over every delivered frame.
    var latency: LatencyStats { LatencyStats(samples: state.withLock { $0.latencies.map(Double.init) }) }
    var droppedFrames: Int { state.withLock { $0.dropped } }
}
