import Foundation
import Synchronization
import VideoIO

/// A file source read at its own pace: each frame is handed out no earlier than its timestamp (from the first
/// frame, on the wall clock), the way a camera or `ffmpeg -re` delivers them. Used for `--latest` on files.
public final class RealTimeSource: FrameSource, Sendable {
    private let source: VideoSource
    /// The wall-clock instant of the first frame and its stream time, once it was read.
    private let origin = Mutex<(start: ContinuousClock.Instant, time: Double)?>(nil)

    public init(_ source: VideoSource) { self.source = source }

    public var url: String { source.url }
    public var info: VideoInfo { source.info }
    public func interrupt() { source.interrupt() }
    public func close() { source.close() }

    public func nextFrame() throws -> DecodedFrame? { try nextFrame(deferringConversion: false) }

    public func nextFrame(deferringConversion: Bool) throws -> DecodedFrame? {
        let next: DecodedFrame?
        do {
            next = try source.nextFrame(deferringConversion: deferringConversion)
        } catch {
            if source.interruption.isSet { return nil }   // stopped mid-read: not a damaged file
            throw error
        }
        guard let frame = next else { return nil }
        guard let (start, firstTime) = origin.withLock({ $0 }) else {
            origin.withLock { $0 = (.now, frame.time) }
            return frame
        }
        let due = start + .milliseconds(Int64(((frame.time - firstTime) * 1000).rounded()))
        while ContinuousClock.now < due {
            if source.interruption.isSet { return nil }
            Thread.sleep(forTimeInterval: min(0.02, max(0.001, Double(ContinuousClock.now.duration(to: due).components.attoseconds) * 1e-18)))
        }
        return frame
    }
}
