import Foundation
import Publish

/// Where and how a run publishes each frame's results (its JSON Lines line) to an MQTT broker: the target URL
/// (`mqtt://HOST[:PORT]/TOPIC` or `mqtts://`), the login — a private file, or a value the tool read from its
/// environment, never a URL or the command line — and the CA that signs an `mqtts://` broker's certificate.
/// A plain value; `resolve()` checks it before anything is opened or written.
public struct PublishSettings: Sendable {
    public var url: String
    /// A file whose first line is `user:password` or a password alone (`PublishCredentials(file:)`); wins over `login`.
    public var credentialsFile: String?
    /// A login the caller read elsewhere (the tool: from its environment).
    public var login: PublishCredentials?
    public var caFile: String?
    /// How long a run waits for the first connection before it goes on (publishing once the broker is reachable).
    public var connectTimeout = Duration.seconds(3)

    public init(url: String, credentialsFile: String? = nil, login: PublishCredentials? = nil, caFile: String? = nil) {
        self.url = url
        self.credentialsFile = credentialsFile
        self.login = login
        self.caFile = caFile
    }

    /// The target and the publisher's options; one-line `PublishError`s for a bad URL, an unusable credentials
    /// file, a missing CA file or a CA file for plain `mqtt://`.
    public func resolve() throws -> (target: PublishTarget, options: MQTTPublisher.Options) {
        let target = try PublishTarget(parsing: url)
        var options = MQTTPublisher.Options()
        options.credentials = try credentialsFile.map { path throws(PublishError) in try PublishCredentials(file: path) } ?? login
        if let caFile {
            guard target.tls else { throw PublishError.badTarget(url, "a CA file is for mqtts:// (TLS); this URL is plain mqtt://") }
            guard FileManager.default.isReadableFile(atPath: caFile) else { throw PublishError.caFile(caFile) }
            options.caFile = caFile
        }
        return (target, options)
    }
}
