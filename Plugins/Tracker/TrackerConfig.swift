import Foundation
import Pipeline

/// Tracker settings; the `tracker` stage reads them from its options (`tracker.KEY`, keys in parentheses).
public struct TrackerConfig: Sendable, Equatable {
    /// Detections scoring at least this take part in the first association pass ("high-score").
    public var highScore: Float = 0.5
    /// Detections scoring in [lowScore, highScore) take part in the second pass only ("low-score").
    public var lowScore: Float = 0.1
    /// Unmatched detections scoring at least this start a new track ("new-track-score").
    public var newTrackScore: Float = 0.5
    /// Least IoU for a first-pass match ("match-iou"; ByteTrack's match_thresh 0.8 is a cost, 1 − 0.2).
    public var matchIoU: Double = 0.2
    /// Least IoU for a second-pass (low-score) match ("low-match-iou").
    public var lowMatchIoU: Double = 0.5
    /// Matched frames (including the first) before a track is confirmed and gets an id ("min-hits").
    public var minHits: Int = 3
    /// Frames a confirmed track may go unmatched (lost) before it is removed ("max-age").
    public var maxAge: Int = 30
    /// Use mask IoU when both the track and the detection have a mask ("use-masks").
    public var useMasks: Bool = true

    public init() {}
}
