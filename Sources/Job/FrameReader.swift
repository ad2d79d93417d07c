import Foundation
import Pipeline
import Synchronization
import VideoIO

/// Pulls decoded frames from a `FrameSource` as pipeline records, up to an optional limit. Called only from the
/// runner's reader (one thread at a time); the lock makes that explicit rather than assumed. `stamp` marks each
/// record as it is read (the frame-rate controller's dial and read time).
final class FrameReader: Sendable {
    private let source: any FrameSource
    private let limit: Int?
    private let stamp: (@Sendable (inout FrameRecord) -> Void)?
    private let count = Mutex(0)

    init(source: any FrameSource, limit: Int?, stamp: (@Sendable (inout FrameRecord) -> Void)? = nil) {
        self.source = source
        self.limit = limit
        self.stamp = stamp
    }

    func next() throws -> FrameRecord? {
        if let limit, count.withLock({ $0 }) >= limit { return nil }
        guard let frame = try source.nextFrame() else { return nil }
        count.withLock { $0 += 1 }
        var record = FrameRecord(index: frame.index, pts: frame.pts, time: frame.time,
                                 image: RGBImage(width: frame.width, height: frame.height, pixels: frame.rgb))
        stamp?(&record)
        return record
    }
}
