import Foundation
import TestPeers
import Testing

/// `--publish` and `/metrics` as a user runs them (issue 24): every frame's JSON Lines line reaches a real Mosquitto
/// broker once (QoS 1, counted by `mosquitto_sub`), a wrong password is one line before anything is written, and a
/// scrape during a run passes `promtool check metrics` with counters that grow and a histogram per stage.
@Suite("mrcnn run --publish and --metrics", .serialized)
struct PublishMetricsCLITests {
    @Test("--publish: one QoS 1 message per frame, each the frame's --json line, login from the environment")
    func publishEveryFrame() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("clip.mp4"), seconds: 3, rate: 10, audio: false)
        let broker = try Broker.withLogin(user: "camera", password: "s3cret-pass")
        let topic = "mrcnn/cli/frames"
        // The real client counts: -C 30 exits after exactly 30 messages.
        let count = dir.appendingPathComponent("sub.txt")
        let sub = try ChildProcess("/usr/bin/mosquitto_sub", ["-h", "127.0.0.1", "-p", String(broker.port), "-u", "camera", "-P", "s3cret-pass",
                                                              "-q", "1", "-t", topic, "-C", "30", "-W", "60"], output: count.path)
        Thread.sleep(forTimeInterval: 0.5)   // subscribed (the publisher below also waits up to 3 s for its own connection)
        let result = try CLIHarness.mrcnn(["run", "clip.mp4", "--stages", "render", "-o", "out.mp4", "--json", "out.jsonl",
                                           "--publish", "mqtt://127.0.0.1:\(broker.port)/\(topic)"], in: dir,
                                          environment: ["MRCNN_MQTT_USERNAME": "camera", "MRCNN_MQTT_PASSWORD": "s3cret-pass"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains(", 0 results messages dropped") && result.stderr.contains("30 messages delivered"), "\(result.stderr)")
        #expect(!result.stderr.contains("s3cret-pass"))
        #expect(waitFor(20) { !sub.isRunning }, "mosquitto_sub -C 30 did not get 30 messages")
        let messages = CLIHarness.read(count).split(separator: "\n").map(String.init)
        let lines = CLIHarness.read(dir.appendingPathComponent("out.jsonl")).split(separator: "\n").map(String.init)
        #expect(messages.count == 30 && messages == lines, "each message is the frame's JSON Lines line, in order")
    }

    @Test("a wrong password is one line, names the broker, never the password; nothing is written")
    func wrongPassword() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("clip.mp4"), seconds: 1, rate: 10, audio: false)
        let broker = try Broker.withLogin(user: "camera", password: "right-secret")
        let login = dir.appendingPathComponent("login")
        try "camera:wrong-secret\n".write(to: login, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: login.path)
        let result = try CLIHarness.mrcnn(["run", "clip.mp4", "--stages", "render", "-o", "out.mp4", "--publish-credentials", login.path,
                                           "--publish", "mqtt://127.0.0.1:\(broker.port)/mrcnn/cli/auth"], in: dir, timeout: 60)
        #expect(result.status == 1 && result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("mrcnn: error: mqtt://127.0.0.1:\(broker.port)/mrcnn/cli/auth: the broker refused"), "\(result.stderr)")
        #expect(!result.stderr.contains("wrong-secret"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.mp4").path))
        // A login file others can read, and a password in the URL, are refused before any connection.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: login.path)
        for extra in [["--publish-credentials", login.path, "--publish", "mqtt://127.0.0.1:1/t"], ["--publish", "mqtt://u:pw@127.0.0.1:1/t"]] {
            let refused = try CLIHarness.mrcnn(["run", "clip.mp4", "--stages", "render", "-o", "out.mp4"] + extra, in: dir, timeout: 60)
            #expect(refused.status == 1 && refused.stderrLines.count == 1 && !refused.stderr.contains(":pw"), "\(refused.stderr)")
        }
    }

    @Test("a broker that does not answer is one note: the run goes on, and what could not be published is counted")
    func unreachableBroker() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("clip.mp4"), seconds: 1, rate: 10, audio: false)
        let port = Broker.freePort()   // nobody listens there
        let result = try CLIHarness.mrcnn(["run", "clip.mp4", "--stages", "render", "-o", "out.mp4",
                                           "--publish", "mqtt://127.0.0.1:\(port)/mrcnn/cli/away"], in: dir, timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderrLines.filter { $0.contains("not reachable") }.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(", 10 results messages dropped"), "\(result.stderr)")
        #expect(try CLIHarness.probe(dir.appendingPathComponent("out.mp4"))["video"] == 10)
    }

    /// `url` fetched with curl (a real HTTP client, as Prometheus is): status and body.
    static func get(_ url: String, headers: [String] = [], in dir: URL) throws -> (status: Int, body: String) {
        let body = dir.appendingPathComponent("body-\(UUID().uuidString)")
        let result = try CLIHarness.run(CLIHarness.tool("curl"), ["-s", "-o", body.path, "-w", "%{http_code}"] + headers.flatMap { ["-H", $0] } + [url],
                                        in: dir, timeout: 30)
        return (Int(result.stdout) ?? 0, CLIHarness.read(body))
    }

    /// The sum of a metric's samples in Prometheus text (`name` followed by labels or a space).
    static func value(_ text: String, _ name: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test("--metrics HOST:PORT: a scrape during the run passes promtool, counters grow, each stage has a histogram; token off loopback")
    func metricsScrape() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("clip.mp4"), seconds: 20, rate: 5, audio: false)
        let token = "metrics-token-0123456789"
        let (process, _, err) = try CLIHarness.launch(binary, ["run", "clip.mp4", "--stages", "detector,render", "--weights", "seeded:0",
                                                               "--min-size", "64", "--max-size", "100", "--latest", "-o", "out.mp4",
                                                               "--metrics", "0.0.0.0:0", "--serve-token", token], in: dir)
        defer { if process.isRunning { process.terminate() } }
        var address: String?
        #expect(waitFor(60) {
            address = CLIHarness.read(err).split(separator: "\n").first { $0.contains("metrics at http://") }
                .flatMap { $0.components(separatedBy: "metrics at http://0.0.0.0:").last?.components(separatedBy: "/").first }
                .map { "http://127.0.0.1:\($0)/metrics" }
            return address != nil
        }, "\(CLIHarness.read(err))")
        let url = try #require(address)
        #expect(try Self.get(url, in: dir).status == 403, "off loopback a scrape needs the token")
        let health = try Self.get(url.replacingOccurrences(of: "/metrics", with: "/healthz"), in: dir)
        #expect(health.status == 200 && health.body == "ok\n", "a liveness probe needs no token")
        #expect(waitFor(30) { ((try? Self.get(url, headers: ["Authorization: Token \(token)"], in: dir))?.body).map { Self.value($0, "mrcnn_frames_written_total") >= 3 } ?? false })
        let first = try Self.get(url, headers: ["Authorization: Token \(token)"], in: dir)
        Thread.sleep(forTimeInterval: 2)
        let second = try Self.get(url + "?token=\(token)", in: dir)
        #expect(first.status == 200 && second.status == 200)
        #expect(Self.value(second.body, "mrcnn_frames_written_total") > Self.value(first.body, "mrcnn_frames_written_total"))
        #expect(Self.value(second.body, "mrcnn_frames_read_total") >= Self.value(second.body, "mrcnn_frames_written_total"))
        for stage in ["decode", "detector", "render", "encode"] {
            #expect(second.body.contains("stage=\"\(stage)\""), "no histogram for \(stage)")
        }
        #expect(second.body.contains("mrcnn_frame_latency_seconds_bucket") && second.body.contains("# HELP mrcnn_model_busy_ratio"))
        // One stream: the same per-stream series as a many-source run's, labelled with the input's name.
        #expect(second.body.contains(#"mrcnn_frames_written_total{stream="clip.mp4"}"#) && second.body.contains(#"mrcnn_stream_fps{stream="clip.mp4"}"#))
        let metrics = dir.appendingPathComponent("metrics.txt")
        try second.body.write(to: metrics, atomically: true, encoding: .utf8)
        let check = try CLIHarness.shell("promtool check metrics < metrics.txt", in: dir)
        #expect(check.status == 0, "promtool: \(check.stdout) \(check.stderr)")
        process.interrupt()
        try CLIHarness.wait(process, timeout: 60)
    }
}
