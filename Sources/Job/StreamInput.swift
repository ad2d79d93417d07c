import Foundation
import Pipeline
import Synchronization
import VideoIO

/// The reading side of one stream of a run: opens its input (at once with `open()`, or on the stream's reader
/// thread at its first read, where a live source may wait for its server without holding up the other streams),
/// skips the frames a resumed run already holds, and stamps each record (the stream's settings dial, the outlets'
/// read count), and keeps the stream's live figures for the preview. Sendable: the reader thread reads, the job's
/// task, the preview's refresh and a stop request see what it opened.
final class StreamInput: Sendable {
    let name: String
    let input: String
    /// Its share of the batch slots (`StreamScheduler.add`'s weight).
    let weight: Int
    private let live: LiveSettings
    private let limit: Int?
    private let skip: Int
    private let stamp: @Sendable (inout FrameRecord) -> Void
    private let log: @Sendable (String) -> Void
    /// Held while a frame is read, and while the source closes.
    private let reading = Mutex(())
    private let written = Mutex<(frames: Int, latencyMs: Double, recent: [ContinuousClock.Instant])>((0, 0, []))
    private let state = Mutex<(source: (any FrameSource)?, reader: FrameReader?, stopped: Bool)>((nil, nil, false))
    private let deferring = Mutex(false)
    /// Frames read before the run (`PrefetchedSource`: int8 calibration) handed on and not yet written.
    private let early = Mutex(0)

    /// `skip`: frames before it are read but not handed on (a resumed run whose chain needs no warm-up);
    /// `weight`: its share of the batch slots; `source`: the input already opened.
    init(name: String, input: String, live: LiveSettings, limit: Int?, skip: Int = 0, weight: Int = 1, source: (any FrameSource)? = nil,
         stamp: @escaping @Sendable (inout FrameRecord) -> Void, log: @escaping @Sendable (String) -> Void) {
        (self.name, self.input, self.live, self.limit, self.skip, self.weight) = (name, input, live, limit, skip, max(1, weight))
        (self.stamp, self.log) = (stamp, log)
        if let source { state.withLock { $0 = (source, FrameReader(source: source, limit: limit, skip: skip, stamp: stamp), false) } }
    }

    /// True when a frame limit cuts the stream short.
    var limited: Bool { limit != nil }

    /// The opened source, once there is one.
    var source: (any FrameSource)? { state.withLock { $0.source } }

    /// The policy this stream's frames follow.
    var policy: FramePolicy { live.policy(for: input) }

    /// Read frames with their RGB conversion deferred to the chain's `PictureConversion` stage (set before reading).
    var defersConversion: Bool {
        get { deferring.withLock { $0 } }
        set { deferring.withLock { $0 = newValue } }
    }

    /// Reconnections of a live source so far (0 for files and before it opened).
    var reconnects: Int { (((source as? PrefetchedSource)?.source ?? source) as? LiveVideoSource)?.reconnects ?? 0 }

    /// Opens the input now (a failure is thrown as it is); idempotent.
    @discardableResult
    func open() throws -> any FrameSource {
        if let source { return source }
        let opened = try live.openSource(input, log: log)
        let (keep, stopped) = state.withLock { s -> (Bool, Bool) in
            if s.source != nil || s.stopped { return (false, s.stopped) }
            s.source = opened
            s.reader = FrameReader(source: opened, limit: limit, skip: skip, stamp: stamp)
            return (true, false)
        }
        if !keep {
            opened.close()
            if stopped { throw CancellationError() }
        }
        return self.source!
    }

    /// The stream's next record (opening the input first if needed); nil at its end or once stopped. A read and
    /// `close()` never overlap (FFmpeg's decoder must not be freed mid-decode).
    func read() throws -> FrameRecord? {
        if state.withLock({ $0.stopped }) { return nil }
        do { try open() } catch is CancellationError { return nil }
        return try reading.withLock { _ -> FrameRecord? in
            guard let reader = state.withLock({ $0.stopped ? nil : $0.reader }) else { return nil }
            // Frames read before the run go on one at a time in latest-frame mode, each once the one before is
            // written (the first frame after them too), so none is dropped for a newer one; later frames follow the policy.
            let kept = policy == .latest && (source as? PrefetchedSource)?.kept.isEmpty == false
            while early.withLock({ $0 }) > 0 {
                if state.withLock({ $0.stopped }) { return nil }
                usleep(5_000)
            }
            let record = try reader.next(deferringConversion: defersConversion)
            if kept, record != nil { early.withLock { $0 += 1 } }
            return record
        }
    }

    /// Ends the stream: a blocked read of a live (or real-time) source returns at once, a file stops after its
    /// current frame; an input still opening is closed as soon as it opens.
    func stop() {
        let source = state.withLock { s -> (any FrameSource)? in
            s.stopped = true
            return s.source
        }
        if let source, VideoInput.isLive(input) || source is RealTimeSource { source.interrupt() }
    }

    /// Notes a frame of this stream written, `latencyMs` after it was read (for the preview's tile).
    func noteWritten(latencyMs: Double) {
        early.withLock { $0 = max(0, $0 - 1) }
        let now = ContinuousClock.now
        written.withLock { w in
            w.frames += 1
            w.latencyMs = latencyMs
            w.recent.append(now)
            if w.recent.count > 32 { w.recent.removeFirst(w.recent.count - 32) }
        }
    }

    /// Frames written so far, the recent frames per second and the last frame's latency.
    var pace: (frames: Int, fps: Double, latencyMs: Double) {
        written.withLock { w in
            guard let first = w.recent.first, let last = w.recent.last, w.recent.count > 1 else { return (w.frames, 0, w.latencyMs) }
            // A stalled stream shows its rate falling: the time since its last frame counts too.
            let span = first.duration(to: last).inSeconds + max(0, last.duration(to: .now).inSeconds - first.duration(to: last).inSeconds / Double(w.recent.count - 1))
            return (w.frames, span > 0 ? Double(w.recent.count - 1) / span : 0, w.latencyMs)
        }
    }

    /// Stops the stream and closes its source once a read in progress has returned (after the run, or on a failure).
    func close() {
        stop()
        reading.withLock { _ in _ = source?.close() }
    }
}
