import Foundation
import Pipeline
import Synchronization
import VideoIO

/// Pulls decoded frames from a `FrameSource` as pipeline records, up to an optional limit, dropping those before
/// `skip` (a resumed run whose chain needs no warm-up). Called only from the runner's reader (one thread at a
/// time); the lock makes that explicit rather than assumed. `stamp` marks each record as it is read (the
/// frame-rate controller's dial and read time). With `deferringConversion` a record leaves with its picture still to
/// convert (under `PictureConversion.key`), for a chain that starts with `PictureConversion`'s stage.
final class FrameReader: Sendable {
    private let source: any FrameSource
    private let limit: Int?
    private let skip: Int
    private let stamp: (@Sendable (inout FrameRecord) -> Void)?
    private let count = Mutex(0)

    init(source: any FrameSource, limit: Int?, skip: Int = 0, stamp: (@Sendable (inout FrameRecord) -> Void)? = nil) {
        self.source = source
        self.limit = limit
        self.skip = skip
        self.stamp = stamp
    }

    func next(deferringConversion: Bool = false) throws -> FrameRecord? {
        var frame: DecodedFrame
        var started = ContinuousClock.now
        repeat {
            if let limit, count.withLock({ $0 }) >= limit { return nil }
            started = ContinuousClock.now
            guard let next = try source.nextFrame(deferringConversion: deferringConversion) else { return nil }
            count.withLock { $0 += 1 }
            frame = next
        } while frame.index < skip
        let now = ContinuousClock.now
        var record = FrameRecord(index: frame.index, pts: frame.pts, time: frame.time,
                                 image: RGBImage(width: frame.width, height: frame.height, pixels: frame.rgb),
                                 timing: FrameTiming(readAt: now))
        record.timing.add("decode", ms: started.duration(to: now).inSeconds * 1000)
        if let pending = frame.pending { record.features[PictureConversion.key] = pending }
        stamp?(&record)
        return record
    }
}
