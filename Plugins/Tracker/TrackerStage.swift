import Foundation
import Pipeline

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
