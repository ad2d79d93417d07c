import CFFmpeg
import Foundation

/// What one live output has done: packets sent, dropped (queue full, receiver away, waiting for a keyframe),
/// reconnections, and the last failure.
public struct StreamStats: Sendable, Equatable {
    public var sent = 0
    public var dropped = 0
    public var reconnects = 0
    public var connected = false
    public var lastError: String?
    /// The output gave up for good (a target that is not retried failed, e.g. standard output's reader went away).
    public var failed = false
}

/// Muxes the encoder's H.264 packets to one `StreamTarget` through FFmpeg's own muxers and protocols, on a thread
/// of its own: `send` never blocks (a bounded queue; a full queue drops packets up to the next keyframe, counted),
/// packets leave at their timestamps (live pacing), and a failed or closed connection is retried with backoff,
/// resuming at a keyframe. HLS on disk and standard output (a pipe) are the exceptions: unpaced, and a full queue
/// makes `send` wait for them instead of dropping. Created and fed by `VideoSink`; `send`/`stats`/`finish` from any thread.
final class StreamOutput: @unchecked Sendable {
    let target: StreamTarget
    private let parameters: UnsafeMutablePointer<AVCodecParameters>
    private let timeBase: AVRational
    private let frameRate: AVRational
    private let capacity: Int
    private let condition = NSCondition()
    private var queue: [UnsafeMutablePointer<AVPacket>] = []
    private var producerWaitsForKeyframe = false
    private var counters = StreamStats()
    private var stopping = false
    private var finished = false
    private let interrupt = ReadInterrupt()

    /// `parameters`: the encoder's (copied); `timeBase`: the packets' time base; `capacity`: queued packets at most.
    init(target: StreamTarget, parameters: UnsafePointer<AVCodecParameters>, timeBase: AVRational, frameRate: AVRational,
         capacity: Int = 120) throws {
        guard let copy = avcodec_parameters_alloc() else {
            throw VideoIOError.ffmpeg(path: target.url, operation: "allocating stream parameters", reason: "out of memory")
        }
        avcodec_parameters_copy(copy, parameters)
        self.target = target
        self.parameters = copy
        self.timeBase = timeBase
        self.frameRate = frameRate
        self.capacity = capacity
        let thread = Thread { [self] in StreamConnection(output: self).run() }
        thread.name = "mrcnn-stream-out"
        thread.start()
    }

    deinit {
        var p: UnsafeMutablePointer<AVCodecParameters>? = parameters
        avcodec_parameters_free(&p)
        for var packet in queue as [UnsafeMutablePointer<AVPacket>?] { av_packet_free(&packet) }
    }

    /// Queues a copy of `packet` (encoder time base); never blocks, except for an unpaced target (HLS, stdout)
    /// that is behind.
    func send(_ packet: UnsafePointer<AVPacket>) {
        let key = (packet.pointee.flags & AV_PKT_FLAG_KEY) != 0
        condition.withLock {
            while !target.paced && queue.count >= capacity && !stopping && !finished { condition.wait() }
            guard !stopping, !finished else { return }
            if producerWaitsForKeyframe && !key { counters.dropped += 1; return }
            guard queue.count < capacity, let copy = av_packet_clone(packet) else {
                counters.dropped += 1
                producerWaitsForKeyframe = true
                return
            }
            producerWaitsForKeyframe = false
            queue.append(copy)
            condition.signal()
        }
    }

    var stats: StreamStats { condition.withLock { counters } }

    /// Stops taking packets, lets the queue drain for up to `drain` seconds, then closes the connection.
    func finish(drain: Double) -> StreamStats {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        let deadline = Date().addingTimeInterval(drain)
        while !condition.withLock({ finished }) {
            if Date() >= deadline { interrupt.set() }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return stats
    }

    // MARK: for the connection thread

    var codecParameters: UnsafePointer<AVCodecParameters> { UnsafePointer(parameters) }
    var packetTimeBase: AVRational { timeBase }
    var packetFrameRate: AVRational { frameRate }
    var interruption: ReadInterrupt { interrupt }

    /// The next queued packet (waiting up to `timeout` s); nil when none, `stop` true once stopping with an empty queue.
    func next(timeout: Double) -> (packet: UnsafeMutablePointer<AVPacket>?, stop: Bool) {
        condition.withLock {
            if queue.isEmpty && !stopping { _ = condition.wait(until: Date().addingTimeInterval(timeout)) }
            if !queue.isEmpty {
                condition.broadcast()   // room for a waiting `send`
                return (queue.removeFirst(), false)
            }
            return (nil, stopping)
        }
    }

    /// Drops every queued packet (the receiver is away) and counts them.
    func dropQueued() {
        condition.withLock {
            for var packet in queue as [UnsafeMutablePointer<AVPacket>?] { av_packet_free(&packet) }
            counters.dropped += queue.count
            queue.removeAll()
        }
    }

    var isStopping: Bool { condition.withLock { stopping } }

    func update(_ change: (inout StreamStats) -> Void) { condition.withLock { change(&counters) } }

    func markFinished() {
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }
}
