import Foundation
import Pipeline

/// Registers the tracker's stage; its options are declared once here, with `TrackerConfig`'s defaults.
public enum TrackerPlugin {
    private static let c = TrackerConfig()
    public static let highScore = OptionKey<Float>.float(
        "high-score", default: c.highScore, within: 0...1, score: true,
        help: "detections scoring at least this are matched first and start tracks (ByteTrack's high threshold)",
        flag: .value("track-high"))
    public static let lowScore = OptionKey<Float>.float(
        "low-score", default: c.lowScore, within: 0...1, score: true,
        help: "lowest score of detections matched in the second pass (detector.score-threshold must be at or below it)",
        flag: .value("track-low"))
    public static let newTrackScore = OptionKey<Float?>.float(
        "new-track-score", within: 0...1, score: true, unset: "high-score",
        help: "unmatched detections scoring at least this start a track")
    public static let matchIoU = OptionKey<Float>.float("match-iou", default: Float(c.matchIoU), within: 0...1,
                                                        help: "least IoU for a first-pass match")
    public static let lowMatchIoU = OptionKey<Float>.float("low-match-iou", default: Float(c.lowMatchIoU), within: 0...1,
                                                           help: "least IoU for a second-pass match")
    public static let minHits = OptionKey<Int>.int("min-hits", default: c.minHits, atLeast: 1,
                                                   help: "matched frames before a track is confirmed and gets an id",
                                                   flag: .value("min-hits"))
    public static let maxAge = OptionKey<Int>.int("max-age", default: c.maxAge, atLeast: 0,
                                                  help: "frames a lost track is kept before it is removed", flag: .value("max-age"))
    public static let useMasks = OptionKey<Bool>.bool("use-masks", default: c.useMasks,
                                                      help: "associate by mask IoU when both sides have masks (false: boxes only)",
                                                      flag: .switch("track-boxes-only", sets: "false"))

    /// The tracker's options, in listing order.
    public static let options: [any StageOption] = [highScore, lowScore, newTrackScore, matchIoU, lowMatchIoU, minHits, maxAge, useMasks]

    /// A `TrackerConfig` from the stage's checked options; one-line error when the two score passes contradict.
    public static func config(from values: OptionValues) throws -> TrackerConfig {
        var c = TrackerConfig()
        c.highScore = try values[highScore]
        c.lowScore = try values[lowScore]
        c.newTrackScore = try values[newTrackScore] ?? c.highScore
        c.matchIoU = Double(try values[matchIoU])
        c.lowMatchIoU = Double(try values[lowMatchIoU])
        c.minHits = try values[minHits]
        c.maxAge = try values[maxAge]
        c.useMasks = try values[useMasks]
        guard c.lowScore <= c.highScore else {
            throw StageError.invalidOption(key: "tracker.low-score", value: "\(c.lowScore)", expected: "at most tracker.high-score (\(c.highScore))")
        }
        return c
    }

    /// Adds `tracker` (needs boxes, provides track ids; keeps state, which replayed results rebuild on resume).
    public static func register(in registry: StageRegistry) {
        registry.register("tracker", summary: "track instances across frames (Kalman + Hungarian, ByteTrack passes, mask IoU)",
                          needs: [.boxes], provides: [.trackIDs], options: options,
                          traits: StageTraits(replayable: true, instanceUse: .all)) { context in
            TrackerStage(config: try config(from: context.options))
        }
    }
}
