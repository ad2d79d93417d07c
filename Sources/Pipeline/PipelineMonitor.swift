import Foundation

/// Capture-to-sink latency of the frames a run delivered, in milliseconds (all 0 when none was delivered).
///
/// A frame's capture time is when the reader got it from the source (decoded); its sink time is when the
/// sink is handed the finished (rendered) frame. For a live source this is the delay the pipeline adds.
public struct LatencyStats: Sendable, Equatable {
    public let count: Int
    public let meanMilliseconds: Double
    public let medianMilliseconds: Double
    public let p95Milliseconds: Double
    public let maxMilliseconds: Double

    public init(count: Int, meanMilliseconds: Double, medianMilliseconds: Double, p95Milliseconds: Double,
                maxMilliseconds: Double) {
        self.count = count
        self.meanMilliseconds = meanMilliseconds
        self.medianMilliseconds = medianMilliseconds
        self.p95Milliseconds = p95Milliseconds
        self.maxMilliseconds = maxMilliseconds
    }

    /// Statistics of the given samples (milliseconds).
    public init(samples: [Double]) {
        guard !samples.isEmpty else {
            self.init(count: 0, meanMilliseconds: 0, medianMilliseconds: 0, p95Milliseconds: 0, maxMilliseconds: 0)
            return
        }
        let sorted = samples.sorted()
        func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] }
        self.init(count: sorted.count, meanMilliseconds: sorted.reduce(0, +) / Double(sorted.count),
                  medianMilliseconds: quantile(0.5), p95Milliseconds: quantile(0.95), maxMilliseconds: sorted[sorted.count - 1])
    }
}

/// A moment's view of a running pipeline, for live displays (e.g. the preview page).
public struct PipelineSnapshot: Sendable {
    /// Frames delivered to the sink so far.
    public let frames: Int
    /// Frames dropped by the `latest` policy so far.
    public let dropped: Int
    /// Frames per second delivered over the last few seconds.
    public let recentFramesPerSecond: Double
    /// Latency of the last delivered frame, milliseconds.
    public let lastLatencyMilliseconds: Double
    /// Mean ms per frame so far: source (decode), each stage, sink.
    public let parts: [StageTiming]
    public let policy: FramePolicy
}

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
        let ms = Self.milliseconds(captured.duration(to: now))
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
                let window = Self.milliseconds(first.duration(to: last)) / 1000
                // A stalled pipeline shows its rate falling: count the time since the last frame too.
                let idle = Self.milliseconds(last.duration(to: .now)) / 1000
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

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15
    }
}
