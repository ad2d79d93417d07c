import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny single-threaded HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the `mrcnn weights fetch` tests:
/// GET only, replies from memory, one connection at a time, `Connection: close`. Counts requests per path.
final class LoopbackHTTPServer: @unchecked Sendable {
    /// What a path answers.
    enum Reply: Sendable {
        /// 200 with the body and its Content-Length.
        case body(Data)
        /// 200 announcing the full length, sending only the first `sent` bytes, then closing.
        case truncated(Data, sent: Int)
        /// The status with a short HTML body.
        case status(Int)
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var routes: [String: Reply]
    private var counts: [String: Int] = [:]
    private let finished = DispatchSemaphore(value: 0)

    /// Listens on 127.0.0.1 and serves `routes` (path → reply) on a background thread until `stop()`.
    init(routes: [String: Reply]) throws {
        self.routes = routes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw Failure(description: "bind/listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        listener = fd
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var baseURL: String { "http://127.0.0.1:\(port)/models" }

    /// How many requests asked for `path`.
    func requests(for path: String) -> Int { lock.withLock { counts[path, default: 0] } }

    /// Stops listening and waits for the serving thread to end.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        finished.wait()
        close(listener)
    }

    private func serve() {
        defer { finished.signal() }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 65_536, !request.ends(with: Array("\r\n\r\n".utf8)) {
            let n = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            request += buffer[0..<n]
        }
        let firstLine = String(decoding: request.prefix { $0 != 0x0D }, as: UTF8.self).split(separator: " ")
        guard firstLine.count >= 2, firstLine[0] == "GET" else { return reply(connection, status: 405, body: Data()) }
        let path = String(firstLine[1])
        let route: Reply? = lock.withLock {
            counts[path, default: 0] += 1
            return routes[path]
        }
        switch route {
        case .body(let data)?: reply(connection, status: 200, body: data)
        case .truncated(let data, let sent)?: reply(connection, status: 200, body: data, send: sent)
        case .status(let code)?: reply(connection, status: code, body: Data("<html><body>\(code)</body></html>\n".utf8))
        case nil: reply(connection, status: 404, body: Data("<html><body>Not Found</body></html>\n".utf8))
        }
    }

    private func reply(_ connection: Int32, status: Int, body: Data, send limit: Int? = nil) {
        let reason = [200: "OK", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"][status] ?? "Status"
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Data(head.utf8)
        bytes.append(body.prefix(limit ?? body.count))
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(connection, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
