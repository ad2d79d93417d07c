import Foundation
import Synchronization
import VideoIO

/// A source whose first frames were read before the run (a live input's int8 calibration frames, `InputCalibration`):
/// it gives those frames first, in order, then reads on from the source, so no frame read early is lost. Delegates
/// everything else to the source. Sendable: the frames are taken under a lock.
public final class PrefetchedSource: FrameSource {
    /// The source read on after the kept frames.
    public let source: any FrameSource
    private let frames: Mutex<[DecodedFrame]>

    public init(_ source: any FrameSource, frames: [DecodedFrame]) {
        self.source = source
        self.frames = Mutex(frames)
    }

    /// Reads up to `count` frames of `source` now (fewer when it ends) and keeps them to be given first.
    public static func reading(_ count: Int, of source: any FrameSource) throws -> PrefetchedSource {
        var frames: [DecodedFrame] = []
        while frames.count < count, let frame = try source.nextFrame() { frames.append(frame) }
        return PrefetchedSource(source, frames: frames)
    }

    /// The frames read early that are still to be given.
    public var kept: [DecodedFrame] { frames.withLock { $0 } }

    public var url: String { source.url }
    public var info: VideoInfo { source.info }

    public func nextFrame() throws -> DecodedFrame? { try nextFrame(deferringConversion: false) }

    /// A frame read early comes converted already (its picture was needed for the calibration).
    public func nextFrame(deferringConversion: Bool) throws -> DecodedFrame? {
        if let first = frames.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return first }
        return try source.nextFrame(deferringConversion: deferringConversion)
    }

    public func interrupt() { source.interrupt() }

    public func close() {
        frames.withLock { $0.removeAll() }
        source.close()
    }
}
