import CMosquitto
import Foundation
import Synchronization

/// Publishes one message per call to an MQTT broker with QoS 1, on Eclipse Mosquitto's client library, from a
/// thread of its own: `send` never blocks (a bounded `Outbox` drops the oldest message when the broker is slow or
/// away, and counts it), the connection is retried with exponential backoff, and messages the broker has not
/// acknowledged are resent after a reconnect. `send`, `stats` and `finish` may be called from any thread.
public final class MQTTPublisher: Sendable {
    /// How the publisher behaves; defaults suit one message per video frame.
    public struct Options: Sendable {
        /// Messages kept while the broker is away (oldest dropped beyond).
        public var outboxCapacity = 1000
        /// Messages handed to the broker and not yet acknowledged, at most.
        public var maxInflight = 64
        public var keepAliveSeconds = 30
        /// Reconnect delays: from `minBackoff`, doubling, up to `maxBackoff` seconds.
        public var minBackoff = 0.25
        public var maxBackoff = 8.0
        /// CA certificate (PEM) that signs the broker's certificate, for `mqtts://`; nil uses the system's.
        public var caFile: String?
        public var credentials: PublishCredentials?
        public var clientID = "mrcnn-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        public init() {}
    }

    /// What the publisher has done so far.
    public struct Stats: Sendable, Equatable {
        /// Messages the broker acknowledged (PUBACK).
        public var delivered = 0
        /// Messages dropped because the outbox was full, plus those still unsent when `finish` gave up.
        public var dropped = 0
        /// Messages waiting: in the outbox or handed to the broker and not yet acknowledged.
        public var backlog = 0
        /// Times the connection was lost and made again.
        public var reconnects = 0
        public var connected = false
        /// The last connection failure, e.g. "Connection refused" (nil once connected).
        public var lastError: String?
    }

    public let target: PublishTarget
    let options: Options
    let state: Mutex<State>

    struct State: Sendable {
        var outbox: Outbox
        var inflight = 0
        var stats = Stats()
        var connectedOnce = false
        /// A refusal by the broker (wrong password, not authorised): the publisher stops.
        var refusal: PublishError?
        var stopping = false
        var drainDeadline: ContinuousClock.Instant?
        var finished = false
    }

    /// Checks the options (CA file present) and starts the publisher's thread, which connects in the background.
    public init(target: PublishTarget, options: Options = Options()) throws(PublishError) {
        if let ca = options.caFile, !FileManager.default.isReadableFile(atPath: ca) { throw .caFile(ca) }
        self.target = target
        self.options = options
        state = Mutex(State(outbox: Outbox(capacity: options.outboxCapacity)))
        let thread = Thread { [self] in MQTTConnection(publisher: self).run() }
        thread.name = "mrcnn-mqtt"
        thread.start()
    }

    /// Queues `payload` for publishing; never blocks.
    public func send(_ payload: String) {
        state.withLock { s in
            guard !s.stopping, s.refusal == nil else { return }
            s.outbox.push(Array(payload.utf8))
        }
    }

    /// A snapshot of the counters.
    public var stats: Stats {
        state.withLock { s in
            var stats = s.stats
            stats.dropped = s.outbox.dropped + stats.dropped
            stats.backlog = s.outbox.count + s.inflight
            return stats
        }
    }

    /// Waits up to `timeout` for the first connection. Throws the broker's refusal (wrong password, not
    /// authorised); returns false when the broker could not be reached in time (the publisher keeps trying).
    public func waitForConnection(timeout: Duration) throws(PublishError) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (connected, refusal) = state.withLock { ($0.connectedOnce, $0.refusal) }
            if let refusal { throw refusal }
            if connected { return true }
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// The broker's refusal, once it has refused (the publisher then stops publishing).
    public var refusal: PublishError? { state.withLock { $0.refusal } }

    /// Stops accepting messages, waits up to `drain` for the backlog to be acknowledged, stops the thread and
    /// returns the final counters (what was still waiting then counts as dropped).
    public func finish(drain: Duration = .seconds(5)) -> Stats {
        state.withLock { s in
            s.stopping = true
            s.drainDeadline = ContinuousClock.now + drain
        }
        while !state.withLock({ $0.finished }) { Thread.sleep(forTimeInterval: 0.01) }
        return stats
    }
}
