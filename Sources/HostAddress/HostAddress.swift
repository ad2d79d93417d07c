/// Host names as they appear in URLs and bind addresses. Pure functions, any thread.
public enum HostAddress {
    /// Whether `host` names this machine's loopback interface: `localhost`, IPv6 `::1` (also written out or in URL
    /// brackets), or a dotted-quad IPv4 address in 127.0.0.0/8 (four decimal octets 0–255). A DNS name that merely
    /// starts with "127." (`127.evil.example.com`) is not: it can resolve anywhere.
    public static func isLoopback(_ host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }) else { return false }
        return parts[0] == "127"
    }
}
