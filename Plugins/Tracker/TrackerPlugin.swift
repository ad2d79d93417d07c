import Foundation
import Pipeline

/// Registers the tracker's stage.
public enum TrackerPlugin {
    /// The tracker's options, with `TrackerConfig`'s defaults.
    public static let options: [StageOption] = {
        let c = TrackerConfig()
        return [
            .float("high-score", default: c.highScore, help: "detections scoring at least this are matched first and start tracks (ByteTrack's high threshold)"),
            .float("low-score", default: c.lowScore, help: "lowest score of detections matched in the second pass (detector.score-threshold must be at or below it)"),
            StageOption("new-track-score", .float, default: nil, help: "unmatched detections scoring at least this start a track; unset: high-score"),
            .float("match-iou", default: Float(c.matchIoU), help: "least IoU for a first-pass match"),
            .float("low-match-iou", default: Float(c.lowMatchIoU), help: "least IoU for a second-pass match"),
            .int("min-hits", default: c.minHits, help: "matched frames before a track is confirmed and gets an id"),
            .int("max-age", default: c.maxAge, help: "frames a lost track is kept before it is removed"),
            .bool("use-masks", default: c.useMasks, help: "associate by mask IoU when both sides have masks (false: boxes only)"),
        ]
    }()

    /// A `TrackerConfig` from the stage's options; one-line errors for values out of range.
    public static func config(from context: StageContext) throws -> TrackerConfig {
        var c = TrackerConfig()
        c.highScore = try context.float("high-score")
        c.lowScore = try context.float("low-score")
        c.newTrackScore = context.string("new-track-score") == nil ? c.highScore : try context.float("new-track-score")
        c.matchIoU = Double(try context.float("match-iou"))
        c.lowMatchIoU = Double(try context.float("low-match-iou"))
        c.minHits = try context.int("min-hits")
        c.maxAge = try context.int("max-age")
        c.useMasks = try context.bool("use-masks")
        guard c.lowScore <= c.highScore else {
            throw StageError.invalidOption(key: "tracker.low-score", value: "\(c.lowScore)", expected: "at most tracker.high-score (\(c.highScore))")
        }
        for (key, v) in [("match-iou", c.matchIoU), ("low-match-iou", c.lowMatchIoU)] where !(0...1).contains(v) {
            throw StageError.invalidOption(key: "tracker.\(key)", value: "\(v)", expected: "a number in [0, 1]")
        }
        guard c.minHits >= 1 else { throw StageError.invalidOption(key: "tracker.min-hits", value: "\(c.minHits)", expected: "an integer ≥ 1") }
        guard c.maxAge >= 0 else { throw StageError.invalidOption(key: "tracker.max-age", value: "\(c.maxAge)", expected: "an integer ≥ 0") }
        return c
    }

    /// Adds `tracker` (needs boxes, provides track ids).
    public static func register(in registry: StageRegistry) {
        registry.register("tracker", summary: "track instances across frames (Kalman + Hungarian, ByteTrack passes, mask IoU)",
                          needs: [.boxes], provides: [.trackIDs], options: options) { context in
            TrackerStage(config: try config(from: context))
        }
    }
}
