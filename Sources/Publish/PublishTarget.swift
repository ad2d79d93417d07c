import Foundation

/// Where results are published: `mqtt://[USER@]HOST[:PORT]/TOPIC` (plain MQTT, port 1883 by default) or
/// `mqtts://…` (MQTT over TLS, port 8883). A password never travels in the URL: it comes from `PublishCredentials`.
/// A plain value; `description` is the URL as given minus nothing secret (there is nothing secret in it).
public struct PublishTarget: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let topic: String
    public let tls: Bool
    /// The user name, when the URL names one (`mqtt://camera7@broker/topic`).
    public let user: String?

    /// Parses `text`; a one-line `PublishError.badTarget` naming what is wrong otherwise.
    public init(parsing text: String) throws(PublishError) {
        // An error names the URL as given, less a password someone put in it (never in a log line).
        var shown = text
        if var given = URLComponents(string: text), given.password != nil {
            given.password = nil
            shown = given.string ?? "the broker URL"
        }
        func bad(_ why: String) -> PublishError { .badTarget(shown, why) }
        // '#' would otherwise parse as a URL fragment; in a topic it is the multi-level wildcard.
        if text.contains("#") { throw bad("a topic to publish to cannot hold the wildcards + or #") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw bad("not a URL; expected mqtt://HOST[:PORT]/TOPIC")
        }
        guard scheme == "mqtt" || scheme == "mqtts" else {
            throw bad("unsupported scheme '\(scheme)'; expected mqtt:// or mqtts://")
        }
        if components.password != nil {
            throw bad("a password on the command line is visible to every user of this machine; put it in a file or the environment instead")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("no broker host") }
        let topic = String(components.percentEncodedPath.dropFirst()).removingPercentEncoding ?? ""
        guard !topic.isEmpty else { throw bad("no topic (mqtt://HOST[:PORT]/TOPIC)") }
        guard !topic.contains("+"), !topic.contains("#") else { throw bad("a topic to publish to cannot hold the wildcards + or #") }
        guard !topic.contains("\0"), topic.utf8.count <= 65_535 else { throw bad("topic is not a valid MQTT topic") }
        if let port = components.port, !(1...65_535).contains(port) { throw bad("port \(port) is out of range") }
        guard components.query == nil else { throw bad("unexpected ?query") }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.tls = scheme == "mqtts"
        self.port = components.port ?? (tls ? 8883 : 1883)
        self.topic = topic
        self.user = components.user.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "mqtts" : "mqtt")://\(user.map { "\($0)@" } ?? "")\(h):\(port)/\(topic)"
    }
}

/// The secret half of a broker login, read from a file (`user:password` or a bare password on its first line) or
/// from an environment variable's value the caller passes in; never from the command line, never logged.
public struct PublishCredentials: Sendable, Equatable {
    public let user: String?
    public let password: String

    public init(user: String?, password: String) {
        self.user = user
        self.password = password
    }

    /// The credentials in `path`: its first line, `user:password` or a password alone. One-line errors for a
    /// missing, unreadable or empty file, and for a file other users can read.
    public init(file path: String) throws(PublishError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .credentials(path, "no such file") }
        if info.st_mode & 0o077 != 0 {
            throw .credentials(path, "other users can read it (chmod 600 \(path))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .credentials(path, "cannot read it") }
        let trimmed = String(decoding: data, as: UTF8.self).components(separatedBy: .newlines).first ?? ""
        guard !trimmed.isEmpty else { throw .credentials(path, "its first line is empty") }
        if let colon = trimmed.firstIndex(of: ":") {
            user = String(trimmed[..<colon]).isEmpty ? nil : String(trimmed[..<colon])
            password = String(trimmed[trimmed.index(after: colon)...])
        } else {
            user = nil
            password = trimmed
        }
    }
}
