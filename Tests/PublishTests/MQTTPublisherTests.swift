import Foundation
import Publish
import TestPeers
import Testing

/// The MQTT door against a real broker (Eclipse Mosquitto on loopback) and its real client (`mosquitto_sub`):
/// QoS 1 delivery of every message, a broker stopped and started mid-run (lost messages = the publisher's count),
/// a broker absent at start, TLS with a CA made at test time, and a wrong password as a one-line refusal.
@Suite(.serialized) struct MQTTPublisherTests {
    static func target(_ broker: Broker, _ topic: String, tls: Bool = false) throws -> PublishTarget {
        try PublishTarget(parsing: "\(tls ? "mqtts" : "mqtt")://127.0.0.1:\(broker.port)/\(topic)")
    }

    @Test func everyMessageArrivesOnceWithQoS1() throws {
        let broker = try Broker()
        try broker.start()
        let sub = try Subscriber(broker: broker, topic: "mrcnn/test/frames")
        let publisher = try MQTTPublisher(target: Self.target(broker, "mrcnn/test/frames"))
        #expect(try publisher.waitForConnection(timeout: .seconds(10)))
        for i in 0..<300 { publisher.send("{\"frame\":\(i)}") }
        let stats = publisher.finish(drain: .seconds(20))
        #expect(stats.delivered == 300 && stats.dropped == 0 && stats.backlog == 0, "\(stats)")
        let got = sub.waitFor(300, seconds: 20)
        #expect(got == (0..<300).map { "{\"frame\":\($0)}" }, "received \(got.count) messages, in order and once each")
    }

    @Test func aBrokerStoppedMidRunLosesExactlyWhatThePublisherCounts() throws {
        let broker = try Broker()
        try broker.start()
        let sub = try Subscriber(broker: broker, topic: "mrcnn/test/restart", session: "mrcnn-test-sub")
        var options = MQTTPublisher.Options()
        options.outboxCapacity = 40           // small, so the outage overflows it and the count matters
        options.maxBackoff = 0.5
        let publisher = try MQTTPublisher(target: Self.target(broker, "mrcnn/test/restart"), options: options)
        #expect(try publisher.waitForConnection(timeout: .seconds(10)))
        let total = 240
        for i in 0..<total {
            if i == 60 { broker.stop() }
            if i == 180 { try broker.start() }
            publisher.send(String(i))
            Thread.sleep(forTimeInterval: 0.01)
        }
        let stats = publisher.finish(drain: .seconds(20))
        #expect(stats.reconnects >= 1 && stats.backlog == 0, "\(stats)")
        #expect(stats.dropped > 0, "the outage should have overflowed the 40-message outbox: \(stats)")
        let unique = Set(sub.waitFor(total - stats.dropped, seconds: 20))
        #expect(unique.count == total - stats.dropped, "received \(unique.count) distinct of \(total), publisher counted \(stats.dropped) lost")
        // Dropped are the oldest of the outage: the last messages all arrived.
        #expect((total - 40..<total).allSatisfy { unique.contains(String($0)) })
    }

    /// Waits until `condition` holds or `seconds` pass; whether it held.
    static func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    @Test func aBrokerAbsentAtStartIsWaitedFor() throws {
        // The subscriber's persistent session (QoS 1) exists before the publisher does, so the broker keeps for it
        // every message however early the publisher reconnects: all 30 must arrive, once each and in order. (Before,
        // it subscribed after the broker came back and the test took the last ten of the first ten or more it got:
        // subscribed before the publisher's reconnect, it got the queued ones too, read before 22-29 were in: once
        // 12-21 instead of 20-29.)
        let broker = try Broker()
        try broker.start()
        let sub = try Subscriber(broker: broker, topic: "mrcnn/test/late", session: "mrcnn-test-late")
        broker.stop()
        var options = MQTTPublisher.Options()
        options.maxBackoff = 0.3
        let publisher = try MQTTPublisher(target: Self.target(broker, "mrcnn/test/late"), options: options)
        #expect(try publisher.waitForConnection(timeout: .milliseconds(300)) == false)
        #expect(Self.eventually(30) { publisher.stats.lastError?.isEmpty == false }, "no failed attempt recorded: \(publisher.stats)")
        for i in 0..<20 { publisher.send(String(i)) }
        try broker.start()
        #expect(try publisher.waitForConnection(timeout: .seconds(30)))
        for i in 20..<30 { publisher.send(String(i)) }
        let stats = publisher.finish(drain: .seconds(30))
        #expect(stats.delivered == 30 && stats.dropped == 0, "\(stats)")
        let got = sub.waitFor(30, seconds: 30)
        #expect(got == (0..<30).map(String.init), "\(got)")
    }

    @Test func aWrongPasswordIsAOneLineRefusal() throws {
        let configured = try Broker.withLogin(user: "camera", password: "right-secret")
        var options = MQTTPublisher.Options()
        options.credentials = PublishCredentials(user: "camera", password: "wrong-secret")
        let publisher = try MQTTPublisher(target: Self.target(configured, "mrcnn/test/auth"), options: options)
        do {
            _ = try publisher.waitForConnection(timeout: .seconds(10))
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(!error.description.contains("\n") && !error.description.contains("wrong-secret"), "\(error)")
            #expect(error.description.contains("127.0.0.1:\(configured.port)") && error.description.lowercased().contains("refused"), "\(error)")
        }
        _ = publisher.finish(drain: .zero)
        // The right one publishes.
        options.credentials = PublishCredentials(user: "camera", password: "right-secret")
        let good = try MQTTPublisher(target: Self.target(configured, "mrcnn/test/auth"), options: options)
        #expect(try good.waitForConnection(timeout: .seconds(10)))
        good.send("hello")
        #expect(good.finish(drain: .seconds(10)).delivered == 1)
    }

    @Test func tlsWithATestCA() throws {
        let tls = try Broker(config: "allow_anonymous true\ncafile {DIR}/ca.pem\ncertfile {DIR}/ca-server.pem\nkeyfile {DIR}/ca-server.key")
        let ca = try TestCA(in: tls.directory, name: "ca"), other = try TestCA(in: tls.directory, name: "other-ca")
        try ca.issueServerCertificate(host: "127.0.0.1")
        try tls.start()
        var options = MQTTPublisher.Options()
        options.caFile = ca.certificate
        let publisher = try MQTTPublisher(target: Self.target(tls, "mrcnn/test/tls", tls: true), options: options)
        #expect(try publisher.waitForConnection(timeout: .seconds(10)), "\(publisher.stats)")
        publisher.send("over tls")
        #expect(publisher.finish(drain: .seconds(10)).delivered == 1)
        // A certificate signed by another CA is not trusted: no connection, and the reason is kept.
        options.caFile = other.certificate
        options.maxBackoff = 0.2
        let untrusting = try MQTTPublisher(target: Self.target(tls, "mrcnn/test/tls", tls: true), options: options)
        #expect(try untrusting.waitForConnection(timeout: .seconds(2)) == false)
        #expect(Self.eventually(30) { untrusting.stats.lastError != nil }, "\(untrusting.stats)")
        #expect(untrusting.finish(drain: .zero).delivered == 0)
        #expect(throws: PublishError.caFile("/no/such/ca.pem")) {
            var o = MQTTPublisher.Options(); o.caFile = "/no/such/ca.pem"
            _ = try MQTTPublisher(target: Self.target(tls, "t", tls: true), options: o)
        }
    }
}

/// A certificate authority made with `openssl` at test time, and a server certificate it signs.
struct TestCA {
    let directory: URL
    let name: String
    var certificate: String { directory.appendingPathComponent("\(name).pem").path }
    var key: String { directory.appendingPathComponent("\(name).key").path }
    var serverCertificate: String { directory.appendingPathComponent("\(name)-server.pem").path }
    var serverKey: String { directory.appendingPathComponent("\(name)-server.key").path }

    init(in directory: URL, name: String) throws {
        self.directory = directory
        self.name = name
        try Broker.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=mrcnn test \(name)",
                                   "-keyout", key, "-out", certificate])
    }

    /// A certificate for `host` (an IP address) signed by this CA.
    func issueServerCertificate(host: String) throws {
        let csr = directory.appendingPathComponent("\(name)-server.csr").path
        let ext = directory.appendingPathComponent("\(name)-server.ext").path
        try "subjectAltName=IP:\(host)\n".write(toFile: ext, atomically: true, encoding: .utf8)
        try Broker.run("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(host)", "-keyout", serverKey, "-out", csr])
        try Broker.run("openssl", ["x509", "-req", "-in", csr, "-CA", certificate, "-CAkey", key, "-CAcreateserial", "-days", "2",
                                   "-extfile", ext, "-out", serverCertificate])
    }
}
