import Foundation

/// How the reader feeds the first stage: `lossless` (every frame, backpressure) or `latest` (newest frames only).
///
/// - `lossless`: the reader waits while the first stage is busy (bounded buffers), so every frame read is
///   processed. The default, and the right choice for files.
/// - `latest`: the reader never waits. While the first stage is busy it keeps only the newest decoded frames
///   (at most one micro-batch) and drops older ones, counting them; when the stage is free it takes what is
///   there. The right choice for cameras and live streams, where waiting only adds latency (and a live
///   source cannot be slowed down anyway).
public enum FramePolicy: String, Sendable, CaseIterable {
    case lossless
    case latest
}
