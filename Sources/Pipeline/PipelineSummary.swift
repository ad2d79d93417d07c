import Foundation

/// What a finished run reports: frames delivered to the sink, wall time, whether it was stopped early, and per-part timings.
public struct PipelineSummary: Sendable {
    /// Frames delivered to the sink.
    public let frames: Int
    public let wallSeconds: Double
    /// True when the stop flag ended reading before the source was exhausted.
    public let stopped: Bool
    /// Reading the source (decode), first.
    public let source: StageTiming
    /// One entry per stage, in chain order (time in `process`, per frame of the batches it handled).
    public let stages: [StageTiming]
    /// Time spent in the sink closure (encode/write).
    public let sink: StageTiming
    /// How frames were fed to the first stage.
    public let policy: FramePolicy
    /// Frames read but dropped by the `latest` policy (always 0 for `lossless`).
    public let dropped: Int
    /// Capture (read from the source) → sink latency over the delivered frames.
    public let latency: LatencyStats

    public init(frames: Int, wallSeconds: Double, stopped: Bool, source: StageTiming,
                stages: [StageTiming], sink: StageTiming, policy: FramePolicy = .lossless, dropped: Int = 0,
                latency: LatencyStats = LatencyStats(samples: [])) {
        self.frames = frames
        self.wallSeconds = wallSeconds
        self.stopped = stopped
        self.source = source
        self.stages = stages
        self.sink = sink
        self.policy = policy
        self.dropped = dropped
        self.latency = latency
    }

    /// Frames per second over the whole run.
    public var framesPerSecond: Double { wallSeconds > 0 ? Double(frames) / wallSeconds : 0 }
}
