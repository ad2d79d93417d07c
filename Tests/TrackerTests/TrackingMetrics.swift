import Foundation
import Pipeline
import Tracker

/// One synthetic frame: the ground-truth objects visible in it, and the detections (each knowing its object).
struct SyntheticFrame {
    var visible: [Int] = []
    var detections: [(gt: Int, instance: Instance)] = []
}

/// Identity metrics of a tracker run on a synthetic sequence whose detections carry their true object.
struct IdentityMetrics: CustomStringConvertible {
    /// Ground-truth object-frames (visible objects, detected or not).
    var groundTruth = 0
    /// Tracker outputs (detections given a track id).
    var predictions = 0
    /// Identity true positives under the best one-to-one object ↔ track-id mapping.
    var idTruePositives = 0
    /// CLEAR-MOT identity switches: an object's track id differs from the last id it had.
    var idSwitches = 0
    /// Distinct ids the tracker handed out.
    var distinctIDs = 0

    /// IDF1 = 2·IDTP / (|ground truth| + |predictions|) (Ristani et al. 2016).
    var idf1: Double {
        groundTruth + predictions > 0 ? 2 * Double(idTruePositives) / Double(groundTruth + predictions) : 1
    }

    var description: String {
        String(format: "IDF1 %.3f, ID switches %d (IDTP %d, GT %d, predicted %d, ids %d)",
               idf1, idSwitches, idTruePositives, groundTruth, predictions, distinctIDs)
    }

    /// Runs a fresh tracker over `frames` and scores it.
    static func evaluate(_ frames: [SyntheticFrame], config: TrackerConfig) -> IdentityMetrics {
        var tracker = MultiObjectTracker(config: config)
        var metrics = IdentityMetrics()
        var counts: [Int: [Int: Int]] = [:]  // gt → id → frames
        var lastID: [Int: Int] = [:]
        var ids: Set<Int> = []
        for frame in frames {
            metrics.groundTruth += frame.visible.count
            let assigned = tracker.update(frame.detections.map(\.instance))
            for (k, id) in assigned.enumerated() {
                guard let id else { continue }
                let gt = frame.detections[k].gt
                metrics.predictions += 1
                ids.insert(id)
                counts[gt, default: [:]][id, default: 0] += 1
                if let previous = lastID[gt], previous != id { metrics.idSwitches += 1 }
                lastID[gt] = id
            }
        }
        metrics.distinctIDs = ids.count
        // IDTP: best one-to-one mapping between objects and ids (maximum weight = minimum negated weight).
        let gts = counts.keys.sorted(), idList = ids.sorted()
        if !gts.isEmpty, !idList.isEmpty {
            let cost = gts.map { g in idList.map { -Double(counts[g]?[$0] ?? 0) } }
            metrics.idTruePositives = Int(-Assignment.total(Assignment.hungarian(cost), in: cost))
        }
        return metrics
    }
}

/// Deterministic Gaussian noise for synthetic detections.
extension SeededRandom {
    mutating func gaussian(_ sigma: Double) -> Double {
        let u1 = max(Double.random(in: 0..<1, using: &self), 1e-12), u2 = Double.random(in: 0..<1, using: &self)
        return sigma * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Builders for synthetic objects.
enum Synthetic {
    /// A box of size w×h centred at (cx, cy), with `noise` px of Gaussian jitter on each edge.
    static func box(cx: Double, cy: Double, w: Double, h: Double, noise: Double = 0, rng: inout SeededRandom) -> Box {
        Box(x1: Float(cx - w / 2 + rng.gaussian(noise)), y1: Float(cy - h / 2 + rng.gaussian(noise)),
            x2: Float(cx + w / 2 + rng.gaussian(noise)), y2: Float(cy + h / 2 + rng.gaussian(noise)))
    }

    /// A size×size crop at (x, y) holding a diagonal band `halfWidth` px either side of "\" (or "/" when `rising`).
    static func diagonal(x: Int, y: Int, size: Int, halfWidth: Int, rising: Bool) -> InstanceMask {
        var bits = [UInt8](repeating: 0, count: size * size)
        for r in 0..<size {
            for c in 0..<size where abs((rising ? size - 1 - c : c) - r) <= halfWidth { bits[r * size + c] = 1 }
        }
        return InstanceMask(x: x, y: y, width: size, height: size, bits: bits)
    }
}
