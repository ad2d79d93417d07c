import Foundation
import HostAddress
import Preview
import Testing

/// The preview's doors: a token on any non-loopback bind, a bounded number of stream clients, only its own routes.
@Suite("Preview access")
struct PreviewAccessTests {
    @Test("loopback binds stay open; any other bind gets a random 128-bit token; --serve-token wins everywhere")
    func rule() throws {
        for host in ["127.0.0.1", "127.4.5.6", "localhost", "::1", "[::1]", "LOCALHOST"] {
            #expect(HostAddress.isLoopback(host), "\(host)")
            #expect(PreviewAccess.forBind(host: host, explicitToken: nil).token == nil)
        }
        for host in ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "128.0.0.1", "camera.local", "127.0.0", "127.evil.example.com", "127.0.0.256", "127.0.0.1.nip.io"] {
            #expect(!HostAddress.isLoopback(host), "\(host)")
            let token = try #require(PreviewAccess.forBind(host: host, explicitToken: nil).token)
            #expect(token.count == 32 && token.allSatisfy(\.isHexDigit))
        }
        #expect(PreviewAccess.forBind(host: "0.0.0.0", explicitToken: nil) != PreviewAccess.forBind(host: "0.0.0.0", explicitToken: nil))
        #expect(PreviewAccess.forBind(host: "127.0.0.1", explicitToken: "abcdefghijklmnop").token == "abcdefghijklmnop")
        for bad in ["short", String(repeating: "a", count: 129), "has space in it!!", "quote\"quote\"quote"] {
            #expect(throws: PreviewError.self) { try PreviewAccess.check(token: bad) }
        }
    }

    @Test("a request passes with the token in the query, an Authorization header or the cookie; nothing else")
    func allows() {
        let access = PreviewAccess(token: "0123456789abcdef0123")
        #expect(access.allows(query: "0123456789abcdef0123", cookie: nil, authorization: nil))
        #expect(access.allows(query: nil, cookie: "a=b; mrcnn_token=0123456789abcdef0123", authorization: nil))
        #expect(access.allows(query: nil, cookie: nil, authorization: "token 0123456789abcdef0123"))
        #expect(!access.allows(query: nil, cookie: nil, authorization: nil))
        #expect(!access.allows(query: "0123456789abcdef012", cookie: nil, authorization: nil))
        #expect(!access.allows(query: "0123456789abcdef01234", cookie: "mrcnn_token=x", authorization: "Bearer 0123456789abcdef0123"))
        #expect(PreviewAccess(token: nil).allows(query: nil, cookie: nil, authorization: nil))
        #expect(access.url(host: "0.0.0.0", port: 8080) == "http://0.0.0.0:8080/?token=0123456789abcdef0123")
        #expect(PreviewAccess(token: nil).url(host: "::1", port: 80) == "http://[::1]:80/")
    }

    @Test("the access tests that serve pass in a process of their own", .enabled(if: !OwnProcess.isChild))
    func servingInOwnProcess() throws {
        let child = try OwnProcess.run(filter: "PreviewAccessTests")
        #expect(child.status == 0, "\(child.output.suffix(4000))")
        #expect(child.output.contains("403") && child.output.contains("503"), "\(child.output.suffix(4000))")
    }

    @Test("bound to 0.0.0.0: 403 and nothing else without the token (page, stats, frames, stream); 200 with it",
          .enabled(if: OwnProcess.isChild))
    func tokenOnNonLoopback() async throws {
        let server = try PreviewServer(address: "0.0.0.0:0")
        let port = try await server.start()
        let token = try #require(server.access.token)
        #expect(server.url(port: port) == "http://0.0.0.0:\(port)/?token=\(token)")
        server.update(PreviewStats(input: "rtsp://secret-camera/stream", policy: "latest", frames: 3))
        server.hub.publish([0xFF, 0xD8, 1, 0xFF, 0xD9])
        let headEnd: @Sendable ([UInt8]) -> Bool = { count("\r\n\r\n", in: $0) > 0 && count("Forbidden", in: $0) > 0 }
        for path in ["/", "/stats.json", "/frame.jpg", "/frame.jpg?after=0", "/stream.mjpg", "/?token=wrong"] {
            let text = String(decoding: await get(port: port, path: path, timeout: 10, enough: headEnd), as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 403"), "\(path): \(text.prefix(200))")
            #expect(!text.contains("secret-camera") && !text.contains("image/jpeg") && !text.contains("<html"), "\(path)")
        }
        let page = String(decoding: await get(port: port, path: "/?token=\(token)") { count("</html>", in: $0) > 0 }, as: UTF8.self)
        #expect(page.hasPrefix("HTTP/1.1 200") && page.lowercased().contains("set-cookie: mrcnn_token=\(token)"))
        let byCookie = String(decoding: await get(port: port, path: "/stats.json", headers: ["Cookie: mrcnn_token=\(token)"]) {
            count("secret-camera", in: $0) > 0 }, as: UTF8.self)
        #expect(byCookie.hasPrefix("HTTP/1.1 200") && byCookie.contains("secret-camera"))
        let byHeader = String(decoding: await get(port: port, path: "/frame.jpg", headers: ["Authorization: token \(token)"]) {
            Array($0.suffix(2)) == [0xFF, 0xD9] }, as: UTF8.self)
        #expect(byHeader.hasPrefix("HTTP/1.1 200") && byHeader.contains("image/jpeg"))
        // Only the server's own routes exist: no files from disk, no listing.
        for path in ["/etc/passwd", "/../../etc/passwd", "/static/", "/frame.jpg/..%2F..%2Fetc%2Fpasswd"] {
            let text = String(decoding: await get(port: port, path: path + (path.contains("?") ? "&" : "?") + "token=\(token)", timeout: 10) {
                count("\r\n\r\n", in: $0) > 0 }, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 404") && !text.contains("root:"), "\(path): \(text.prefix(200))")
        }
        print("403 checks passed")
        await server.stop()
    }

    @Test("more stream clients than the limit are refused with 503 and counted", .enabled(if: OwnProcess.isChild))
    func streamLimit() async throws {
        let server = try PreviewServer(address: "127.0.0.1:0", maxStreamClients: 1)
        let port = try await server.start()
        let publisher = Task {
            while !Task.isCancelled {
                server.hub.publish([0xFF, 0xD8, 0, 0xFF, 0xD9])
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        // The first client keeps streaming (a long read) while the second one asks.
        let first = Task { await get(port: port, path: "/stream.mjpg", timeout: 20) { _ in false } }
        var waited = 0
        while server.hub.clientCount < 1 && waited < 2000 { try await Task.sleep(for: .milliseconds(10)); waited += 1 }
        #expect(server.hub.clientCount == 1)
        let second = String(decoding: await get(port: port, path: "/stream.mjpg", timeout: 10) {
            count("too many preview clients", in: $0) > 0 }, as: UTF8.self)
        #expect(second.hasPrefix("HTTP/1.1 503"), "\(second.prefix(200))")
        let stats = server.currentStats
        #expect(stats.streamClients == 1 && stats.refusedClients == 1)
        let json = String(decoding: stats.json(), as: UTF8.self)
        #expect(json.contains("\"refused_clients\":1") && json.contains("\"stream_clients\":1"))
        print("503 checks passed")
        await server.stop()
        publisher.cancel()
        _ = await first.value
    }
}
