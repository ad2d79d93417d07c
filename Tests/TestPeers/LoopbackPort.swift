import Foundation
import Glibc
import Synchronization

/// Ports on 127.0.0.1 for the servers the tests start (Mosquitto, nginx, ffmpeg, openssl), and whether one listens.
///
/// A port is picked before its server binds it, and a broker stopped and started again leaves it unbound for a
/// while. A port from the kernel's ephemeral range (what binding port 0 gives) can be taken in that gap by any
/// outgoing connection on the machine, or even by a client retrying that very port (a TCP self-connect). So the
/// ports come from below the ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), which the kernel never
/// hands out by itself, and this process never hands out the same one twice.
public enum LoopbackPort {
    private static let next = Mutex<Int?>(nil)

    /// A port that is free now on 127.0.0.1 for TCP and UDP, outside the ephemeral range, new to this process.
    public static func free() -> Int {
        let (low, high) = ephemeralRange()
        let range = low > 12_000 ? 10_000..<low : (high + 1)..<65_536
        return next.withLock { cursor in
            var port = cursor ?? range.lowerBound + Int.random(in: 0..<range.count)
            for _ in 0..<range.count {
                port = range.contains(port) ? port : range.lowerBound
                defer { port += 1 }
                if bindable(port, SOCK_STREAM) && bindable(port, SOCK_DGRAM) {
                    cursor = port + 1
                    return port
                }
            }
            fatalError("no free port on 127.0.0.1 in \(range)")
        }
    }

    /// Whether a socket listens on 127.0.0.1:`port` (TCP), read from /proc/net/tcp: without connecting, which would
    /// use up a server that takes one client (`ffmpeg -listen 1`).
    public static func isListening(_ port: Int) -> Bool {
        let local = String(format: "0100007F:%04X", port)
        let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[1] == local && fields[3] == "0A"   // local address, state LISTEN
        }
    }

    /// Waits until a socket listens on `port` or `seconds` pass (or `alive` turns false); whether it listens.
    public static func waitUntilListening(_ port: Int, seconds: Double = 30, alive: () -> Bool = { true }) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, alive() {
            if isListening(port) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return isListening(port)
    }

    private static func ephemeralRange() -> (Int, Int) {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        return numbers.count == 2 ? (numbers[0], numbers[1]) : (32_768, 60_999)
    }

    private static func bindable(_ port: Int, _ type: __socket_type) -> Bool {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
