import Foundation
import Preview
import Synchronization
import Testing

/// Reads raw bytes from an HTTP GET on 127.0.0.1 until `enough` says stop or `timeout` passes (a plain socket,
/// so an endless multipart response can be read part by part).
func rawGET(port: Int, path: String, headers: [String] = [], timeout: TimeInterval = 30, enough: ([UInt8]) -> Bool) -> [UInt8] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return [] }
    var tv = timeval(tv_sec: 1, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    let extra = headers.map { "\($0)\r\n" }.joined()
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extra)Connection: close\r\n\r\n"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    let end = Date().addingTimeInterval(timeout)
    while Date() < end, !enough(received) {
        let n = recv(fd, &chunk, chunk.count, 0)
        if n == 0 { break }
        if n > 0 { received += chunk[0..<n] }
    }
    return received
}

/// `rawGET` on a thread of its own, so the waiting test holds no thread of the concurrency pool the server needs.
func get(port: Int, path: String, headers: [String] = [], timeout: TimeInterval = 30,
         enough: @escaping @Sendable ([UInt8]) -> Bool) async -> [UInt8] {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: rawGET(port: port, path: path, headers: headers, timeout: timeout, enough: enough)) }.start()
    }
}

func count(_ needle: String, in bytes: [UInt8]) -> Int {
    let n = Array(needle.utf8)
    guard bytes.count >= n.count else { return 0 }
    var hits = 0
    for i in 0...(bytes.count - n.count) where bytes[i] == n[0] && Array(bytes[i..<(i + n.count)]) == n { hits += 1 }
    return hits
}

@Suite("Preview server")
struct PreviewServerTests {
    @Test("addresses: HOST:PORT accepted, anything else is a one-line error")
    func parsing() throws {
        #expect(try PreviewServer.parse("127.0.0.1:8080") == ("127.0.0.1", 8080))
        #expect(try PreviewServer.parse("[::1]:0") == ("::1", 0))
        for bad in ["8080", "127.0.0.1:", ":80", "127.0.0.1:99999", "localhost:http"] {
            #expect(throws: PreviewError.self) { try PreviewServer.parse(bad) }
        }
    }

    @Test("the serving tests pass in a process of their own", .enabled(if: !OwnProcess.isChild))
    func servingInOwnProcess() throws {
        let child = try OwnProcess.run(filter: "PreviewServerTests")
        #expect(child.status == 0, "\(child.output.suffix(4000))")
        #expect(child.output.contains("stops cleanly") && child.output.contains("port in use") && child.output.contains("healthz answers"),
                "\(child.output.suffix(4000))")
    }

    @Test("serves the page, stats, the newest frame and an MJPEG stream of published frames; stops cleanly",
          .enabled(if: OwnProcess.isChild))
    func serves() async throws {
        let server = try PreviewServer(address: "127.0.0.1:0")
        let port = try await server.start()
        #expect(port > 0)
        server.update(PreviewStats(input: "udp://127.0.0.1:5000", policy: "latest", frames: 7, dropped: 3, fps: 2.5,
                                   latencyMs: 420, reconnects: 1, parts: [.init(name: "detector", ms: 300)]))
        // Generous waits with explicit completion tests: in the full suite the machine is busy.
        let page = String(decoding: await get(port: port, path: "/") { count("</html>", in: $0) > 0 }, as: UTF8.self)
        #expect(page.contains("200 OK") && page.contains("<img id=\"video\"") && page.contains("/frame.jpg?after="))
        let stats = String(decoding: await get(port: port, path: "/stats.json") { count("\"reconnects\"", in: $0) > 0 }, as: UTF8.self)
        #expect(stats.contains("\"dropped\":3") && stats.contains("\"latency_ms\":420") && stats.contains("\"detector\""))
        #expect(await String(decoding: get(port: port, path: "/frame.jpg") { count("\r\n\r\n", in: $0) > 0 }, as: UTF8.self).contains("204"))

        // A publisher keeps sending frames while a client reads the stream.
        let publisher = Task {
            var i: UInt8 = 0
            while !Task.isCancelled {
                server.hub.publish([0xFF, 0xD8, i, 0xFF, 0xD9])
                i &+= 1
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let stream = await get(port: port, path: "/stream.mjpg") { count("--mrcnnframe\r\n", in: $0) >= 3 }
        publisher.cancel()
        _ = await publisher.result
        let text = String(decoding: stream, as: UTF8.self)
        #expect(text.contains("multipart/x-mixed-replace; boundary=mrcnnframe"))
        #expect(count("--mrcnnframe\r\n", in: stream) >= 3)
        #expect(count("Content-Type: image/jpeg\r\nContent-Length: 5\r\n\r\n", in: stream) >= 2)
        let frame = String(decoding: await get(port: port, path: "/frame.jpg") { Array($0.suffix(2)) == [0xFF, 0xD9] }, as: UTF8.self)
        #expect(frame.contains("image/jpeg"))
        let sequence = Int(frame.lowercased().components(separatedBy: "etag: \"").last?.prefix { $0.isNumber } ?? "") ?? 0
        #expect(sequence >= 3, "\(frame)")
        // ?after=N waits for a newer frame; none comes, so after 2 s: no content.
        let waited = String(decoding: await get(port: port, path: "/frame.jpg?after=\(sequence)") { count("\r\n\r\n", in: $0) > 0 }, as: UTF8.self)
        #expect(waited.contains("204"))

        await server.stop()
        #expect(await get(port: port, path: "/", timeout: 5) { _ in false }.isEmpty)
    }

    @Test("healthz answers without the token what the run says: 200 while healthy, 503 when not",
          .enabled(if: OwnProcess.isChild))
    func healthz() async throws {
        let healthy = Atomic(true)
        let server = try PreviewServer(address: "0.0.0.0:0", healthy: { healthy.load(ordering: .relaxed) })
        let port = try await server.start()                       // off loopback: every other route needs the token
        let ok = String(decoding: await get(port: port, path: "/healthz") { count("ok\n", in: $0) > 0 }, as: UTF8.self)
        #expect(ok.contains("200 OK") && ok.hasSuffix("ok\n"), "\(ok)")
        let stats = String(decoding: await get(port: port, path: "/stats.json") { count("\r\n\r\n", in: $0) > 0 }, as: UTF8.self)
        #expect(stats.contains("403"), "\(stats)")
        healthy.store(false, ordering: .relaxed)
        let down = String(decoding: await get(port: port, path: "/healthz") { count("lately\n", in: $0) > 0 }, as: UTF8.self)
        #expect(down.contains("503"), "\(down)")
        await server.stop()
    }

    @Test("a port in use is a one-line error", .enabled(if: OwnProcess.isChild))
    func portInUse() async throws {
        let first = try PreviewServer(address: "127.0.0.1:0")
        let port = try await first.start()
        defer { Task { await first.stop() } }
        let second = try PreviewServer(address: "127.0.0.1:\(port)")
        do {
            _ = try await second.start()
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error).hasPrefix("cannot serve the preview at 127.0.0.1:\(port)"))
            #expect(!String(describing: error).contains("\n"))
        }
        await second.stop()
    }
}
