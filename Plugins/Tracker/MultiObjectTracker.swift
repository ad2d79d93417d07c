import Foundation
import Pipeline

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
