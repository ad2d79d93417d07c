import ArgumentParser
import Job

/// `mrcnn run`'s live-input options: frame policy, reconnecting, read timeout and the preview server.
struct LiveOptions: ParsableArguments {
    @Flag(help: "Process every frame, also from a live source (cameras and stream URLs default to --latest).")
    var lossless = false
    @Flag(help: "Keep only the newest frame while the pipeline is busy and count drops (the default for cameras and stream URLs). A file is then read at its own frame rate, like a camera.")
    var latest = false
    @Option(help: "Seconds a live source that dropped keeps reconnecting (backoff 0.5 s doubling to 8 s) before the run ends.")
    var reconnectTimeout: Double = 30
    @Option(help: "Seconds without data after which a live source counts as dropped.")
    var readTimeout: Double = 10
    @Option(help: "Serve a live preview at HOST:PORT, e.g. 127.0.0.1:8080: the annotated video (MJPEG) with fps, drops, latency and per-stage ms. On a non-loopback address (0.0.0.0, a LAN address) every request needs the token printed in the URL.")
    var serve: String?
    @Option(help: "The preview's (and --metrics') access token (16-128 letters, digits, '-', '_') instead of a random one per run (or $MRCNN_SERVE_TOKEN, out of argv); also required on loopback when given.")
    var serveToken: String?
    @Option(help: "Serve Prometheus metrics at HOST:PORT/metrics (frames, drops, stage latency, reconnects, publish backlog); --serve's server has /metrics too. Same token rule as --serve.")
    var metrics: String?

    /// One-line error for contradicting flags (the values are checked by `LiveSettings.check`).
    func check() throws {
        if lossless && latest { throw CLIError("--lossless and --latest contradict each other; give one") }
    }

    /// The library's settings.
    var settings: LiveSettings {
        LiveSettings(policy: lossless ? .lossless : latest ? .latest : nil, reconnectTimeout: reconnectTimeout,
                     readTimeout: readTimeout, serve: serve, serveToken: serveToken ?? (serve ?? metrics).flatMap { _ in ToolEnvironment.serveToken }, metrics: metrics)
    }
}
