import Foundation

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
