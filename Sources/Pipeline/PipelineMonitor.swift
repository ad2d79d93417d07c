import Foundation

/// Live counters of one run: timings per part, drops, latency samples, recent throughput.
/// Pass one to `PipelineRunner.run` to read `snapshot()` from another task while it runs; thread-safe.
public final class PipelineMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private var policy: FramePolicy = .lossless
    private var source = TimingAccumulator(name: "source")
    private var stages: [TimingAccumulator] = []
    private var sink = TimingAccumulator(name: "sink")
    private var delivered = 0
    private var dropped = 0
    private var latencies: [Float] = []
    private var recent: [ContinuousClock.Instant] = []

    public init() {}

    /// Called by the runner before it starts.
    func begin(stageNames: [String], policy: FramePolicy) -> (source: TimingAccumulator, stages: [TimingAccumulator], sink: TimingAccumulator) {
        lock.withLock {
            self.policy = policy
            source = TimingAccumulator(name: "source")
            stages = stageNames.map { TimingAccumulator(name: $0) }
            sink = TimingAccumulator(name: "sink")
            delivered = 0
            dropped = 0
            latencies = []
            recent = []
            return (source, stages, sink)
        }
    }

    func addDropped(_ n: Int) {
        guard n > 0 else { return }
        lock.withLock { dropped += n }
    }

    /// Records one frame handed to the sink, captured at `captured`.
    func delivered(captured: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        let ms = captured.duration(to: now).inSeconds * 1000
        lock.withLock {
            delivered += 1
            latencies.append(Float(ms))
            recent.append(now)
            if recent.count > 64 { recent.removeFirst(recent.count - 64) }
        }
    }

    /// The current counters.
    public func snapshot() -> PipelineSnapshot {
        lock.withLock {
            var fps = 0.0
            if recent.count >= 2, let first = recent.first, let last = recent.last {
                let window = first.duration(to: last).inSeconds
                // A stalled pipeline shows its rate falling: count the time since the last frame too.
                let idle = last.duration(to: .now).inSeconds
                fps = window > 0 ? Double(recent.count - 1) / (window + max(0, idle - window / Double(recent.count - 1))) : 0
            }
            return PipelineSnapshot(frames: delivered, dropped: dropped, recentFramesPerSecond: fps,
                                    lastLatencyMilliseconds: latencies.last.map(Double.init) ?? 0,
                                    parts: [source.timing] + stages.map(\.timing) + [sink.timing], policy: policy)
        }
    }

    /// Final latency statistics over every delivered frame.
    var latency: LatencyStats { LatencyStats(samples: lock.withLock { latencies.map(Double.init) }) }
    var droppedFrames: Int { lock.withLock { dropped } }
}
