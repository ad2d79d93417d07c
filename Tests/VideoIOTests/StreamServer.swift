import Foundation
import TestPeers

/// A real `ffmpeg` process serving a synthetic live stream on 127.0.0.1 (MPEG-TS over HTTP with `-listen 1`,
/// or over UDP), for tests of live inputs; `stop()` kills it like a crashed server.
final class StreamServer: @unchecked Sendable {
    enum Transport { case http, udp }

    let port: Int
    let transport: Transport
    private let process = Process()
    private let log: URL

    var url: String { transport == .http ? "http://127.0.0.1:\(port)/live.ts" : "udp://127.0.0.1:\(port)" }

    /// Starts serving testsrc at `size` and `rate` fps (real time, `-re`), H.264 with a keyframe every 5 frames.
    init(port: Int, transport: Transport = .http, size: String = "160x120", rate: Int = 10,
         input: [String]? = nil) throws {
        self.port = port
        self.transport = transport
        log = FileManager.default.temporaryDirectory.appendingPathComponent("stream-server-\(UUID().uuidString).log")
        let source = input ?? ["-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate)",
                               "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "5"]
        let target = transport == .http
            ? ["-f", "mpegts", "-listen", "1", "http://127.0.0.1:\(port)/live.ts"]
            : ["-f", "mpegts", "udp://127.0.0.1:\(port)?pkt_size=1316"]
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-nostdin", "-v", "error", "-re"] + source + target
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        if transport == .http { try waitUntilListening() }
    }

    /// Waits (up to 30 s) until the HTTP server accepts connections… without connecting (that would consume
    /// `-listen 1`'s only client): polls /proc/net/tcp for a listening socket on the port.
    private func waitUntilListening() throws {
        if LoopbackPort.waitUntilListening(port, alive: { process.isRunning }) { return }
        throw StreamServerError(message: "ffmpeg did not start listening on port \(port): \(output)")
    }

    /// What ffmpeg printed (errors only).
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Kills the server (SIGKILL, like a crash) and waits for it to exit.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: log)
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// A TCP/UDP port that was free a moment ago on 127.0.0.1.
    static func freePort() -> Int { Broker.freePort() }
}

/// A stream server that failed to start.
struct StreamServerError: Error, CustomStringConvertible { let message: String; var description: String { message } }
