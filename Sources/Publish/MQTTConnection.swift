import CMosquitto
import Foundation
import Glibc

/// The publisher's thread: owns one libmosquitto client, connects and reconnects with backoff, moves messages from
/// the outbox to the broker (at most `maxInflight` unacknowledged) and runs the network loop. Confined to that
/// thread; libmosquitto's callbacks run on it too (inside `mosquitto_loop`).
final class MQTTConnection {
    enum Phase: Equatable { case disconnected, connecting(ContinuousClock.Instant), connected }

    let publisher: MQTTPublisher
    var phase = Phase.disconnected
    var wasConnected = false
    var backoff: Double

    init(publisher: MQTTPublisher) {
        self.publisher = publisher
        backoff = publisher.options.minBackoff
    }

    /// libmosquitto's one-time set-up (not thread safe itself, so done once here).
    static let libraryReady: Bool = { mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue }()

    func run() {
        defer {
            publisher.state.withLock { s in
                s.stats.dropped += s.outbox.count + s.inflight
                while s.outbox.pop() != nil {}
                s.inflight = 0
                s.stats.connected = false
                s.finished = true
            }
        }
        let options = publisher.options, target = publisher.target
        guard MQTTConnection.libraryReady, let m = mosquitto_new(options.clientID, true, Unmanaged.passUnretained(self).toOpaque()) else {
            fail(.setup(target.description, "libmosquitto could not create a client"))
            return
        }
        defer { mosquitto_destroy(m) }
        _ = mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
        let user = options.credentials?.user ?? target.user
        if user != nil || options.credentials != nil {
            _ = mosquitto_username_pw_set(m, user, options.credentials?.password)
        }
        if target.tls {
            let rc = mosquitto_tls_set(m, options.caFile, options.caFile == nil ? "/etc/ssl/certs" : nil, nil, nil, nil)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { fail(.setup(target.description, Self.reason(rc))); return }
        }
        mosquitto_connect_callback_set(m) { _, object, rc in MQTTConnection.of(object).connected(rc) }
        mosquitto_disconnect_callback_set(m) { _, object, _ in MQTTConnection.of(object).phase = .disconnected }
        mosquitto_publish_callback_set(m) { _, object, _ in MQTTConnection.of(object).acknowledged() }

        var attempted = false
        while true {
            let (stop, refused) = publisher.state.withLock { s in
                (s.stopping && (s.outbox.isEmpty && s.inflight == 0 || ContinuousClock.now >= s.drainDeadline!), s.refusal != nil)
            }
            if stop || refused { break }
            switch phase {
            case .disconnected:
                let rc = attempted ? mosquitto_reconnect(m) : mosquitto_connect(m, target.host, Int32(target.port), Int32(options.keepAliveSeconds))
                attempted = true
                guard rc == MOSQ_ERR_SUCCESS.rawValue else { failedAttempt(Self.reason(rc)); continue }
                phase = .connecting(ContinuousClock.now)
            case .connecting(let since):
                if ContinuousClock.now - since > .seconds(10) {
                    mosquitto_disconnect(m)
                    phase = .disconnected
                    failedAttempt("no answer from the broker")
                    continue
                }
            case .connected:
                publishWaiting(m)
            }
            let rc = mosquitto_loop(m, 20, 1)
            if rc != MOSQ_ERR_SUCCESS.rawValue && phase != .disconnected {
                phase = .disconnected
                publisher.state.withLock { $0.stats.connected = false }
                failedAttempt(Self.reason(rc))
            }
        }
        if phase == .connected {
            mosquitto_disconnect(m)
            _ = mosquitto_loop(m, 20, 1)
        }
    }

    /// Hands waiting messages to libmosquitto while fewer than `maxInflight` are unacknowledged.
    func publishWaiting(_ m: OpaquePointer) {
        let topic = publisher.target.topic, limit = publisher.options.maxInflight
        while phase == .connected {
            guard let message = publisher.state.withLock({ s -> [UInt8]? in s.inflight < limit ? s.outbox.pop() : nil }) else { return }
            var mid: Int32 = 0
            let rc = message.withUnsafeBytes { mosquitto_publish(m, &mid, topic, Int32($0.count), $0.baseAddress, 1, false) }
            publisher.state.withLock { s in
                if rc == MOSQ_ERR_SUCCESS.rawValue { s.inflight += 1 } else { s.outbox.pushFront(message) }
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue { return }
        }
    }

    func connected(_ code: Int32) {
        guard code == 0 else {
            // CONNACK 4: bad user name or password, 5: not authorised — permanent; the others are worth retrying.
            let why = String(cString: mosquitto_connack_string(code))
            if code == 4 || code == 5 { fail(.refused(publisher.target.description, why)) }
            phase = .disconnected
            return
        }
        phase = .connected
        backoff = publisher.options.minBackoff
        let again = wasConnected
        wasConnected = true
        publisher.state.withLock { s in
            s.stats.connected = true
            s.stats.lastError = nil
            s.connectedOnce = true
            if again { s.stats.reconnects += 1 }
        }
    }

    func acknowledged() {
        publisher.state.withLock { s in
            s.inflight = max(0, s.inflight - 1)
            s.stats.delivered += 1
        }
    }

    func fail(_ error: PublishError) {
        publisher.state.withLock { s in
            s.refusal = s.refusal ?? error
            s.stats.lastError = error.description
        }
    }

    /// Records a failed attempt and waits the current backoff (in short steps, so `finish` is not held up).
    func failedAttempt(_ why: String) {
        publisher.state.withLock { $0.stats.lastError = why }
        let until = ContinuousClock.now + .milliseconds(Int(backoff * 1000))
        while ContinuousClock.now < until, !publisher.state.withLock({ $0.stopping && ContinuousClock.now >= $0.drainDeadline! }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        backoff = min(backoff * 2, publisher.options.maxBackoff)
    }

    static func of(_ object: UnsafeMutableRawPointer?) -> MQTTConnection {
        Unmanaged<MQTTConnection>.fromOpaque(object!).takeUnretainedValue()
    }

    /// libmosquitto's reason for `rc` (the system's for errno failures).
    static func reason(_ rc: Int32) -> String {
        rc == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(rc))
    }
}
