import Foundation

/// Wall time spent by one part of a run ("source", a stage's name, or "sink") and the frames it handled.
public struct StageTiming: Sendable, Equatable {
    public let name: String
    public let frames: Int
    public let seconds: Double

    public init(name: String, frames: Int, seconds: Double) {
        self.name = name
        self.frames = frames
        self.seconds = seconds
    }

    /// Mean wall milliseconds per frame (0 when no frame was handled).
    public var meanMillisecondsPerFrame: Double { frames > 0 ? seconds * 1000 / Double(frames) : 0 }
}
