import Foundation
import Pipeline
import Synchronization

/// Puts each frame's saved instances back on its record: the results line with the same pts, else the one nearest in
/// time within half a frame (half the median spacing of the results' timestamps). Frames without results get none.
/// Results computed on frames of another size are refused (`ResultsError.sizeMismatch`): they would be misplaced.
/// Immutable apart from its match counter, so it is `Sendable`: hand it to a run with `plan` and read `matched` after.
public final class ReplayStage: Stage, Sendable {
    /// What replayed results can carry.
    public static let provides: Set<Capability> = [.boxes, .masks, .keypoints, .trackIDs]
    private let byPTS: [Int64: Int]
    private let frames: [ResultsFrame]
    /// Indices into `frames`, sorted by time.
    private let byTime: [Int]
    private let tolerance: Double
    private let classes: Set<Int>?
    private let matchedCount = Mutex(0)
    private let path: String

    /// `classes`: COCO category ids to keep (nil = all); `path` names the results file in errors.
    public init(frames: [ResultsFrame], classes: Set<Int>?, path: String = "results") {
        self.frames = frames
        self.path = path
        self.classes = classes
        var byPTS: [Int64: Int] = [:]
        for (i, f) in frames.enumerated() where byPTS[f.pts] == nil { byPTS[f.pts] = i }
        self.byPTS = byPTS
        byTime = frames.indices.sorted { frames[$0].time < frames[$1].time }
        let gaps = zip(byTime, byTime.dropFirst()).map { frames[$1].time - frames[$0].time }.filter { $0 > 0 }.sorted()
        tolerance = gaps.isEmpty ? 1e-3 : gaps[gaps.count / 2] / 2
    }

    /// Frames that found their results line.
    public var matched: Int { matchedCount.withLock { $0 } }

    /// The plan that runs this stage (as `replay`) on its own thread.
    public var plan: StagePlan { StagePlan(name: "replay", stage: self) }

    public func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices {
            guard let k = lookup(pts: batch[i].pts, time: batch[i].time) else {
                batch[i].instances = []
                continue
            }
            let saved = frames[k].instances
            if let w = frames[k].width, let h = frames[k].height, w != batch[i].image.width || h != batch[i].image.height {
                throw ResultsError.sizeMismatch(path: path, results: "\(w)×\(h)", video: "\(batch[i].image.width)×\(batch[i].image.height)")
            }
            matchedCount.withLock { $0 += 1 }
            batch[i].instances = classes.map { allowed in saved.filter { allowed.contains($0.categoryID) } } ?? saved
        }
    }

    private func lookup(pts: Int64, time: Double) -> Int? {
        if let k = byPTS[pts], abs(frames[k].time - time) <= tolerance { return k }
        // Binary search for the first results time ≥ time, then take the nearer neighbour.
        var lo = 0, hi = byTime.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if frames[byTime[mid]].time < time { lo = mid + 1 } else { hi = mid }
        }
        let candidates = [lo - 1, lo].filter { byTime.indices.contains($0) }.map { byTime[$0] }
        guard let best = candidates.min(by: { abs(frames[$0].time - time) < abs(frames[$1].time - time) }),
              abs(frames[best].time - time) <= tolerance else { return nil }
        return best
    }
}
