import Foundation
import HostAddress

/// Who may use the preview server: anyone on a loopback-only bind, only holders of the run's token elsewhere
/// (as Jupyter does). A pure value; the server asks it about every request.
///
/// The token is accepted as `?token=…` (the printed URL), as `Authorization: token …`, or as the `mrcnn_token`
/// cookie the server sets when the page is opened with the token, so the page's own requests carry it.
public struct PreviewAccess: Sendable, Equatable {
    /// The token every request must carry; nil when the preview is open (loopback bind without `--serve-token`).
    public let token: String?

    public init(token: String?) { self.token = token }

    /// Most concurrent `/stream.mjpg` clients; more are refused with 503 and counted in `/stats.json`.
    public static let defaultMaxStreamClients = 8

    /// The cookie that carries the token after the page was opened with `?token=`.
    public static let cookieName = "mrcnn_token"

    /// The rule for a bind address: a loopback host stays open unless the user set a token; any other host
    /// (`0.0.0.0`, a LAN address, `::`) requires `explicitToken` or, without one, a fresh random token.
    public static func forBind(host: String, explicitToken: String?) -> PreviewAccess {
        if let explicitToken { return PreviewAccess(token: explicitToken) }
        return HostAddress.isLoopback(host) ? PreviewAccess(token: nil) : PreviewAccess(token: randomToken())
    }

    /// A preview token is usable in a URL and long enough to resist guessing: 16–128 characters of
    /// `[A-Za-z0-9_-]`; a one-line reason otherwise.
    public static func check(token: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        guard (16...128).contains(token.count), token.allSatisfy({ allowed.contains($0) }) else {
            throw PreviewError(.token, "must be 16-128 characters of letters, digits, '-' or '_' (got \(token.count) characters)")
        }
    }

    /// 32 hex digits (128 bits) from the system's random source.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Whether a request may be answered, given its `token` query value, `Cookie` header and `Authorization` header
    /// (`Token T`; Prometheus sends it with `authorization: {type: Token, credentials: T}`).
    public func allows(query: String?, cookie: String?, authorization: String?) -> Bool {
        guard let token else { return true }
        if let query, Self.same(query, token) { return true }
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "token", Self.same(String(parts[1]), token) { return true }
        }
        if let value = Self.cookieValue(cookie, name: Self.cookieName), Self.same(value, token) { return true }
        return false
    }

    /// The address to print: the token in the query when there is one.
    public func url(host: String, port: Int, path: String = "") -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        guard let token else { return "http://\(shown):\(port)/\(path)" }
        return "http://\(shown):\(port)/\(path)?token=\(token)"
    }

    /// The `Set-Cookie` value that lets the page's own requests carry the token.
    public var setCookie: String? {
        token.map { "\(Self.cookieName)=\($0); Path=/; HttpOnly; SameSite=Strict" }
    }

    static func cookieValue(_ header: String?, name: String) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == name {
                return kv[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// Compares without an early exit, so the time taken does not reveal how much of a guess was right.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}
