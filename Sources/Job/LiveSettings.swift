import Foundation
import Pipeline
import Preview
import VideoIO

/// How a job reads its input: frame policy (nil = by input kind), reconnecting and read timeout of live sources,
/// and the optional preview and metrics server addresses. The defaults suit files. A plain value.
public struct LiveSettings: Sendable {
    /// nil: `latest` for cameras and stream URLs, `lossless` for files.
    public var policy: FramePolicy?
    /// Seconds a live source that dropped keeps reconnecting (backoff) before the run ends.
    public var reconnectTimeout = 30.0
    /// Seconds without data after which a live source counts as dropped.
    public var readTimeout = 10.0
    /// Serve a live preview at HOST:PORT.
    public var serve: String?
    /// The preview's (and the metrics server's) token; nil: none on loopback, a random one per run elsewhere.
    public var serveToken: String?
    /// Serve Prometheus metrics alone at HOST:PORT `/metrics` (the preview server serves them too).
    public var metrics: String?
    /// How image-sequence inputs read their stills (EXIF orientation, JPEGs cut short).
    public var stills = StillImageOptions()

    public init(policy: FramePolicy? = nil, reconnectTimeout: Double = 30, readTimeout: Double = 10, serve: String? = nil,
                serveToken: String? = nil, metrics: String? = nil) {
        self.policy = policy
        self.reconnectTimeout = reconnectTimeout
        self.readTimeout = readTimeout
        self.serve = serve
        self.serveToken = serveToken
        self.metrics = metrics
    }

    /// One-line errors for out-of-range timeouts, a bad preview address or token, a token without a server.
    public func check() throws {
        guard reconnectTimeout.isFinite, reconnectTimeout >= 0 else {
            throw JobError.invalidSetting(name: "reconnect-timeout", value: "\(reconnectTimeout)", expected: "a number ≥ 0")
        }
        guard readTimeout.isFinite, readTimeout > 0 else {
            throw JobError.invalidSetting(name: "read-timeout", value: "\(readTimeout)", expected: "a number > 0")
        }
        if let serve { _ = try PreviewServer.parse(serve) }
        if let metrics {
            do { _ = try PreviewServer.parse(metrics) } catch {
                throw JobError.invalidSetting(name: "metrics", value: metrics, expected: "HOST:PORT, e.g. 127.0.0.1:9090")
            }
        }
        if let serveToken {
            guard serve != nil || metrics != nil else { throw JobError.tokenWithoutServer }
            try PreviewAccess.check(token: serveToken)
        }
    }

    /// The policy for `input`: the one set, else `latest` for live inputs and `lossless` for files.
    public func policy(for input: String) -> FramePolicy {
        policy ?? (VideoInput.isLive(input) ? .latest : .lossless)
    }

    /// Opens the input: a reconnecting `LiveVideoSource` for cameras and stream URLs (reconnects reported to `log`),
    /// an `ImageSequenceSource` for globs, `%04d` patterns and directories of images, a plain `VideoSource` for
    /// files, read at the file's frame rate under `latest`.
    public func openSource(_ input: String, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> any FrameSource {
        if VideoInput.isLive(input) {
            return try LiveVideoSource(url: input, readTimeout: readTimeout, reconnectTimeout: reconnectTimeout, log: log)
        }
        if ImageSequenceSource.isSequence(input) {
            return try ImageSequenceSource(pattern: input, options: stills, warn: log)
        }
        let file = try VideoSource(url: input)
        return policy(for: input) == .latest ? RealTimeSource(file) : file
    }
}
