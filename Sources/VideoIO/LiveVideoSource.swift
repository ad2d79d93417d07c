import CFFmpeg
import Foundation
import Synchronization

/// A live input (camera or network stream) that reconnects when it drops: on an error or end of stream it
/// reopens the URL with exponential backoff (0.5 s doubling to 8 s) until `reconnectTimeout` seconds have passed
/// since the drop, then ends. Use from one thread; `interrupt()` and the counters are safe from any thread.
///
/// Timeline: one continuous timeline across reconnects, in the first connection's time base. Each new
/// connection's timestamps are shifted so its first frame follows the last frame delivered by the wall-clock
/// time the source was away (at least one frame interval), and timestamps only ever increase. A sink writing
/// these frames keeps one playable file, with the outage visible as a held frame of the same length.
public final class LiveVideoSource: FrameSource, @unchecked Sendable {
    public let url: String
    public let info: VideoInfo
    public let readTimeout: Double
    public let reconnectTimeout: Double

    /// What `close()` and `reconnects` touch from other threads: the open connection, closed, reconnections.
    private struct Shared {
        var current: VideoSource?
        var reconnects = 0
        var closed = false
    }

    private let shared: Mutex<Shared>
    private let interruption = ReadInterrupt()
    private let log: @Sendable (String) -> Void
    private var index = 0
    private var firstPTS: Int64?
    private var lastPTS: Int64?
    private var lastFrameAt = ContinuousClock.now
    private var droppedAt = ContinuousClock.now
    /// Added to the current connection's timestamps (already in `info`'s time base); nil until its first frame.
    private var offset: Int64? = 0
    private let frameTicks: Int64
    /// The first frame, decoded while opening, handed out by the first `nextFrame()`.
    private var pending: DecodedFrame?

    /// Opens the first connection and decodes its first frame (failures are thrown as they are); `log`
    /// receives one line per drop/reconnect. `info` has the size of that frame: a stream joined before its
    /// parameters arrived may not tell its size up front.
    public init(url: String, readTimeout: Double = 10, reconnectTimeout: Double = 30,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.url = url
        self.readTimeout = readTimeout
        self.reconnectTimeout = reconnectTimeout
        self.log = log
        let (first, frame) = try Self.openFirst(url, readTimeout: readTimeout, waitFor: reconnectTimeout,
                                                interruption: interruption, log: log)
        shared = Mutex(Shared(current: first))
        let stream = first.info
        info = VideoInfo(width: frame.width, height: frame.height, timeBaseNum: stream.timeBaseNum,
                         timeBaseDen: stream.timeBaseDen, averageFrameRate: stream.averageFrameRate, duration: nil,
                         estimatedFrameCount: nil, hasAudio: stream.hasAudio, codecName: stream.codecName,
                         rotation: stream.rotation)
        let rate = info.averageFrameRate > 0 ? info.averageFrameRate : 25
        frameTicks = max(1, Int64((1 / rate / max(info.timeBase, 1e-12)).rounded()))
        pending = frame
    }

    /// The first connection and its first picture. A network stream that is not up yet is waited for with the
    /// same backoff as a dropped one, up to `waitFor` seconds; devices and local failures are thrown at once.
    private static func openFirst(_ url: String, readTimeout: Double, waitFor: Double, interruption: ReadInterrupt,
                                  log: @Sendable (String) -> Void) throws -> (VideoSource, DecodedFrame) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(waitFor * 1000))
        var delay = 0.5
        while true {
            let remaining = seconds(ContinuousClock.now.duration(to: deadline))
            do {
                let source = try VideoSource(url: url, readTimeout: min(readTimeout, max(0.5, remaining)),
                                             interruption: interruption)
                guard let frame = try source.nextFrame() else {
                    source.close()
                    throw VideoIOError.cannotOpen(path: url, reason: "the stream ended before its first picture")
                }
                return (source, frame)
            } catch {
                let network = url.contains("://") && !url.hasPrefix("file:")
                let left = seconds(ContinuousClock.now.duration(to: deadline))
                guard network, left > 0, !interruption.isSet else { throw error }
                if delay == 0.5 { log("\(url): not up yet (\(error)); waiting for up to \(seconds(waitFor)) s") }
                _ = wait(seconds: min(delay, left), interruption: interruption)
                delay = min(delay * 2, 8)
            }
        }
    }

    /// Successful reconnections so far.
    public var reconnects: Int { shared.withLock { $0.reconnects } }

    public func interrupt() {
        interruption.set()
    }

    public func close() {
        let source: VideoSource? = shared.withLock { state in
            state.closed = true
            defer { state.current = nil }
            return state.current
        }
        source?.close()
    }

    /// The next frame on the continuous timeline; nil once interrupted, closed, or when reconnecting gave up.
    public func nextFrame() throws -> DecodedFrame? { try nextFrame(deferringConversion: false) }

    public func nextFrame(deferringConversion: Bool) throws -> DecodedFrame? {
        if let frame = pending {
            pending = nil
            return try place(frame)
        }
        while true {
            if interruption.isSet || shared.withLock({ $0.closed }) { return nil }
            if let source = shared.withLock({ $0.current }) {
                do {
                    if let frame = try source.nextFrame(deferringConversion: deferringConversion) { return try place(frame) }
                    if interruption.isSet { return nil }
                    dropped(source, reason: "the stream ended")
                } catch VideoIOError.truncated {
                    if interruption.isSet { return nil }
                    dropped(source, reason: "no data for \(Self.seconds(readTimeout)) s, or a read error")
                } catch {
                    if interruption.isSet { return nil }
                    dropped(source, reason: String(describing: error))
                }
            }
            guard reconnect() else { return nil }
        }
    }

    private func dropped(_ source: VideoSource, reason: String) {
        source.close()
        shared.withLock { $0.current = nil }
        droppedAt = .now
        log("\(url): connection lost (\(reason)); reconnecting for up to \(Self.seconds(reconnectTimeout)) s")
    }

    /// Reopens with backoff until it succeeds (true) or the timeout passes or the source is interrupted (false).
    private func reconnect() -> Bool {
        let deadline = droppedAt + .milliseconds(Int64(reconnectTimeout * 1000))
        var delay = 0.5
        var lastError = "no attempt"
        while true {
            let remaining = Self.seconds(ContinuousClock.now.duration(to: deadline))
            if remaining <= 0 {
                log("\(url): giving up after \(Self.seconds(reconnectTimeout)) s without a connection (\(lastError))")
                return false
            }
            if !Self.wait(seconds: min(delay, remaining), interruption: interruption) { return false }
            delay = min(delay * 2, 8)
            do {
                let source = try VideoSource(url: url, readTimeout: min(readTimeout, max(0.5, remaining)),
                                             interruption: interruption)
                offset = nil
                let count: Int = shared.withLock {
                    $0.current = source
                    $0.reconnects += 1
                    return $0.reconnects
                }
                let away = Self.seconds(droppedAt.duration(to: .now))
                log("\(url): reconnected after \(String(format: "%.1f", away)) s (reconnect \(count))")
                return true
            } catch {
                if interruption.isSet { return false }
                lastError = String(describing: error)
            }
        }
    }

    /// Sleeps up to `seconds`, waking early when interrupted (then false).
    private static func wait(seconds: Double, interruption: ReadInterrupt) -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < end {
            if interruption.isSet { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return !interruption.isSet
    }

    /// Moves a frame of the current connection onto the continuous timeline and renumbers it.
    private func place(_ frame: DecodedFrame) throws -> DecodedFrame {
        guard frame.width == info.width, frame.height == info.height else {
            throw VideoIOError.invalidFrame(path: url, reason: "the stream's size changed from \(info.width)x\(info.height) to \(frame.width)x\(frame.height) after reconnecting")
        }
        // VideoSource reports pts in its own stream's time base; the first connection's is the timeline's.
        let pts = shared.withLock { $0.current }.map { rescale(frame.pts, from: $0.info) } ?? frame.pts
        let now = ContinuousClock.now
        if offset == nil {
            let gapTicks = Int64((Self.seconds(lastFrameAt.duration(to: now)) / max(info.timeBase, 1e-12)).rounded())
            let target = (lastPTS ?? pts) + max(frameTicks, gapTicks)
            offset = target - pts
        }
        var placed = pts + (offset ?? 0)
        if let lastPTS, placed <= lastPTS { placed = lastPTS + 1 }
        if firstPTS == nil { firstPTS = placed }
        lastPTS = placed
        lastFrameAt = now
        defer { index += 1 }
        return DecodedFrame(index: index, pts: placed, time: Double(placed - (firstPTS ?? placed)) * info.timeBase,
                            width: frame.width, height: frame.height, rgb: frame.rgb, pending: frame.pending)
    }

    private func rescale(_ pts: Int64, from segment: VideoInfo) -> Int64 {
        if segment.timeBaseNum == info.timeBaseNum && segment.timeBaseDen == info.timeBaseDen { return pts }
        return av_rescale_q(pts, AVRational(num: segment.timeBaseNum, den: segment.timeBaseDen),
                            AVRational(num: info.timeBaseNum, den: info.timeBaseDen))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s) }
}
