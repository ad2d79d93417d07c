import Foundation
import Pipeline

/// The `tracker` stage: runs a `MultiObjectTracker` over the frames in order and writes `trackID` into the
/// instances that belong to confirmed tracks. One tracker per stream (`FrameRecord.stream`): a track never crosses
/// from one source to another, and each stream numbers its tracks 1, 2, … as a run of that source alone would.
/// Confined to its stage thread, so the trackers' state needs no lock.
public final class TrackerStage: Stage {
    private let config: TrackerConfig
    private var trackers: [Int: MultiObjectTracker] = [:]

    public init(config: TrackerConfig = TrackerConfig()) {
        self.config = config
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        for f in batch.indices {
            let ids = trackers[batch[f].stream, default: MultiObjectTracker(config: config)].update(batch[f].instances)
            for (i, id) in ids.enumerated() { batch[f].instances[i].trackID = id }
        }
    }
}
