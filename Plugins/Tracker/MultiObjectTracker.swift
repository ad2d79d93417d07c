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

/// SORT-class multi-object tracker with ByteTrack's two passes and mask-aware association. A value type: `update`
/// takes one frame's instances and returns their track ids (nil = not on a confirmed track).
///
/// Per frame: every track's Kalman filter predicts; pass 1 matches high-score detections to all tracks (tentative,
/// confirmed and lost); pass 2 matches low-score detections to the confirmed tracks pass 1 left over; both passes
/// solve an optimal assignment (`Assignment.match`) on cost = 1 − IoU, only between instances of the same class.
/// **IoU rule**: when the track's last mask and the detection's mask both exist, IoU is the mask IoU on run-length
/// encodings — the larger of two readings: the track's mask where it was last seen, and moved by the Kalman-predicted
/// displacement (motion prediction helps fast objects, but misleads when an object stops or turns); otherwise it is
/// the box IoU of the predicted box and the detected box. Lifecycle: a new track is tentative; after `minHits` matched frames it is
/// confirmed and gets the next id (1, 2, …); a tentative track that misses a frame is dropped; a confirmed track
/// that misses is lost, keeps predicting and keeps its id if matched again within `maxAge` frames, else is removed.
public struct MultiObjectTracker: Sendable {
    /// Where a track is in its lifecycle.
    public enum State: Sendable, Equatable { case tentative, confirmed, lost }

    struct Track: Sendable {
        var filter: KalmanBoxFilter
        var category: Int
        var state: State
        var id: Int?
        var hits: Int
        var misses: Int
        var mask: RunLengthMask?
        /// The box when `mask` was observed, to move the mask with the predicted motion.
        var maskBox: BoxState
    }

    public let config: TrackerConfig
    private var tracks: [Track] = []
    private var nextID = 1

    public init(config: TrackerConfig = TrackerConfig()) {
        self.config = config
    }

    /// Tracks alive now (any state).
    public var trackCount: Int { tracks.count }

    /// Ids handed out so far.
    public var issuedIDs: Int { nextID - 1 }

    /// Advances one frame: returns, per instance, the id of the confirmed track it belongs to (nil otherwise).
    public mutating func update(_ instances: [Instance]) -> [Int?] {
        for i in tracks.indices { tracks[i].filter.predict() }
        let masks = instances.map { config.useMasks ? $0.mask.map(RunLengthMask.init) : nil }
        let high = instances.indices.filter { instances[$0].score >= config.highScore }
        let low = instances.indices.filter { instances[$0].score >= config.lowScore && instances[$0].score < config.highScore }

        var trackOf = [Int?](repeating: nil, count: instances.count)
        var matchedTrack = [Bool](repeating: false, count: tracks.count)
        let first = associate(Array(tracks.indices), high, instances, masks, minIoU: config.matchIoU)
        for (t, d) in first {
            trackOf[d] = t
            matchedTrack[t] = true
        }
        let leftover = tracks.indices.filter { !matchedTrack[$0] && tracks[$0].state == .confirmed }
        for (t, d) in associate(leftover, low, instances, masks, minIoU: config.lowMatchIoU) {
            trackOf[d] = t
            matchedTrack[t] = true
        }

        var ids = [Int?](repeating: nil, count: instances.count)
        for d in instances.indices {
            guard let t = trackOf[d] else { continue }
            let z = BoxState(instances[d].box)
            tracks[t].filter.update(measurement: z)
            tracks[t].hits += 1
            tracks[t].misses = 0
            if let mask = masks[d] {
                tracks[t].mask = mask
                tracks[t].maskBox = z
            }
            if tracks[t].state == .tentative, tracks[t].hits >= config.minHits { confirm(t) }
            if tracks[t].state == .lost { tracks[t].state = .confirmed }
            ids[d] = tracks[t].state == .confirmed ? tracks[t].id : nil
        }

        var survivors: [Track] = []
        for t in tracks.indices {
            var track = tracks[t]
            if !matchedTrack[t] {
                if track.state == .tentative { continue }
                track.state = .lost
                track.misses += 1
                track.filter.holdSize()
                if track.misses > config.maxAge { continue }
            }
            survivors.append(track)
        }
        tracks = survivors

        for d in high where trackOf[d] == nil && instances[d].score >= config.newTrackScore {
            let z = BoxState(instances[d].box)
            tracks.append(Track(filter: KalmanBoxFilter(measurement: z), category: instances[d].categoryID,
                                state: .tentative, id: nil, hits: 1, misses: 0, mask: masks[d], maskBox: z))
            if config.minHits <= 1 {
                confirm(tracks.count - 1)
                ids[d] = tracks[tracks.count - 1].id
            }
        }
        return ids
    }

    private mutating func confirm(_ t: Int) {
        tracks[t].state = .confirmed
        tracks[t].id = nextID
        nextID += 1
    }

    /// Optimal matching of `trackIndices` × `detIndices` on 1 − IoU; returns (track index, detection index) pairs.
    private func associate(_ trackIndices: [Int], _ detIndices: [Int], _ instances: [Instance],
                           _ masks: [RunLengthMask?], minIoU: Double) -> [(Int, Int)] {
        guard !trackIndices.isEmpty, !detIndices.isEmpty else { return [] }
        let cost = trackIndices.map { t in
            detIndices.map { d in
                tracks[t].category == instances[d].categoryID
                    ? 1 - iou(tracks[t], instances[d].box, masks[d]) : Double.infinity
            }
        }
        return Assignment.match(cost, maxCost: 1 - minIoU).map { (trackIndices[$0.row], detIndices[$0.col]) }
    }

    /// The association IoU of a (predicted) track and a detection — the rule documented on the type.
    func iou(_ track: Track, _ box: Box, _ mask: RunLengthMask?) -> Double {
        let predicted = track.filter.state
        if let mask, let trackMask = track.mask {
            let dx = Int((predicted.cx - track.maskBox.cx).rounded()), dy = Int((predicted.cy - track.maskBox.cy).rounded())
            let still = Overlap.maskIoU(trackMask, mask)
            guard dx != 0 || dy != 0 else { return still }
            return max(still, Overlap.maskIoU(trackMask.shifted(dx: dx, dy: dy), mask))
        }
        return predicted.box.iou(box)
    }
}


/// The `tracker` stage: runs a `MultiObjectTracker` over the frames in order and writes `trackID` into the
/// instances that belong to confirmed tracks. Confined to its stage thread, so the tracker state needs no lock.
public final class TrackerStage: Stage {
    private var tracker: MultiObjectTracker

    public init(config: TrackerConfig = TrackerConfig()) {
        tracker = MultiObjectTracker(config: config)
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        for f in batch.indices {
            let ids = tracker.update(batch[f].instances)
            for (i, id) in ids.enumerated() { batch[f].instances[i].trackID = id }
        }
    }
}

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
