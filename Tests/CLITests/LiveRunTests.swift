import Foundation
import TestPeers
import Testing

/// A real ffmpeg process streaming testsrc as MPEG-TS on 127.0.0.1 (HTTP `-listen 1` or UDP), killed like a crash.
final class LoopbackStream: @unchecked Sendable {
    let url: String
    let process: Process

    init(http port: Int, size: String = "160x120", rate: Int = 10) throws {
        url = "http://127.0.0.1:\(port)/live.ts"
        process = try Self.start(size: size, rate: rate, target: ["-f", "mpegts", "-listen", "1", url])
        // Listening (checked without connecting: -listen 1 serves one client only).
        if LoopbackPort.waitUntilListening(port, alive: { process.isRunning }) { return }
        throw CLIHarness.Failure(description: "ffmpeg did not listen on \(port)")
    }

    init(udp port: Int, size: String = "160x120", rate: Int = 10) throws {
        url = "udp://127.0.0.1:\(port)"
        process = try Self.start(size: size, rate: rate, target: ["-f", "mpegts", url + "?pkt_size=1316"])
    }

    private static func start(size: String, rate: Int, target: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CLIHarness.tool("ffmpeg")
        process.arguments = ["-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate)",
                             "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "5"] + target
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { kill() }

    static func freePort() -> Int { Broker.freePort() }
}

/// Waits until `condition` holds or `timeout` passes; returns whether it held.
@discardableResult
func waitFor(_ timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return condition()
}

@Suite("mrcnn run on live sources (loopback only)")
struct LiveRunTests {
    @Test("a missing camera device, contradicting flags and a bad --serve are one-line errors")
    func badLiveInput() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cases: [([String], String)] = [
            (["run", "/dev/video97", "-o", "o.mp4", "--stages", "render"], "mrcnn: error: /dev/video97: no such camera device"),
            (["run", "x.mp4", "-o", "o.mp4", "--lossless", "--latest"], "mrcnn: error: --lossless and --latest contradict"),
            (["run", "x.mp4", "-o", "o.mp4", "--serve", "8080"], "mrcnn: error: --serve expects HOST:PORT"),
        ]
        for (arguments, expected) in cases {
            let result = try CLIHarness.mrcnn(arguments, in: dir, timeout: 60)
            #expect(result.status != 0)
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix(expected), "\(result.stderr)")
        }
    }

    @Test("HTTP stream: the server is killed and restarted mid-run, the run reconnects, SIGINT ends it with every sink flushed")
    func reconnectsAndStops() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let port = LoopbackStream.freePort()
        var server = try LoopbackStream(http: port)
        let output = dir.appendingPathComponent("out.mp4"), json = dir.appendingPathComponent("out.jsonl")
        let (process, _, err) = try CLIHarness.launch(binary, ["run", server.url, "-o", output.path, "--stages", "render",
                                                               "--json", json.path, "--read-timeout", "3"], in: dir)
        defer { if process.isRunning { process.terminate() } }
        // Frames are flowing (the JSON Lines file grows), then the server dies and comes back.
        #expect(waitFor(20) { ((try? String(contentsOf: json, encoding: .utf8)) ?? "").split(separator: "\n").count >= 5 })
        server.kill()
        server = try LoopbackStream(http: port)
        #expect(waitFor(25) { CLIHarness.read(err).contains("reconnected after") }, "\(CLIHarness.read(err))")
        let linesBefore = ((try? String(contentsOf: json, encoding: .utf8)) ?? "").split(separator: "\n").count
        #expect(waitFor(15) { ((try? String(contentsOf: json, encoding: .utf8)) ?? "").split(separator: "\n").count >= linesBefore + 5 })
        process.interrupt()
        try CLIHarness.wait(process, timeout: 30)
        server.kill()
        let stderr = CLIHarness.read(err)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("connection lost"))
        #expect(stderr.contains("reconnects: 1"))
        #expect(stderr.contains("mode: latest"))
        #expect(stderr.contains("latency (capture → rendered)"))
        let frames = try CLIHarness.probe(output)["video"] ?? 0
        let lines = ((try? String(contentsOf: json, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(frames >= 10)
        #expect(lines.count == frames, "every frame in the MP4 has its results line")
        // One continuous timeline: timestamps keep increasing across the reconnect.
        let times = lines.compactMap { line -> Double? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["time"] as? Double
        }
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("UDP stream into the real model: latest mode drops frames while the detector works, and counts them")
    func latestDropsWithModel() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let port = LoopbackStream.freePort()
        let server = try LoopbackStream(udp: port, size: "320x240", rate: 10)
        defer { server.kill() }
        let output = dir.appendingPathComponent("out.mp4")
        let result = try CLIHarness.mrcnn(["run", server.url, "-o", output.path, "--stages", "detector,render",
                                           "--weights", "seeded:0", "--min-size", "320", "--max-frames", "30",
                                           "--read-timeout", "5"], in: dir, timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        let dropped = result.stderrLines.first { $0.contains("mode: latest") }
            .flatMap { $0.split(separator: ",").last?.split(separator: " ").first.flatMap { Int($0) } }
        let delivered = try CLIHarness.probe(output)["video"] ?? 0
        #expect((dropped ?? 0) > 0, "\(result.stderr)")
        #expect(delivered > 0 && delivered + (dropped ?? 0) == 30, "\(result.stderr)")
    }
}
