import ArgumentParser
import Foundation
import Pipeline
import Preview
import VideoIO

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

    @Option(help: "Serve a live preview at HOST:PORT, e.g. 127.0.0.1:8080: the annotated video (MJPEG) with fps, drops, latency and per-stage ms.")
    var serve: String?

    /// The plain values, for `VideoJob`.
    var settings: LiveSettings {
        LiveSettings(lossless: lossless, latest: latest, reconnectTimeout: reconnectTimeout, readTimeout: readTimeout,
                     serve: serve)
    }
}

/// Live-input settings of one run (the defaults are a file's: policy by input kind, no preview).
struct LiveSettings: Sendable {
    var lossless = false
    var latest = false
    var reconnectTimeout = 30.0
    var readTimeout = 10.0
    var serve: String?

    /// One-line errors for contradicting or out-of-range values.
    func check() throws {
        if lossless && latest { throw CLIError("--lossless and --latest contradict each other; give one") }
        guard reconnectTimeout.isFinite, reconnectTimeout >= 0 else { throw CLIError("--reconnect-timeout must be a number ≥ 0 (got \(reconnectTimeout))") }
        guard readTimeout.isFinite, readTimeout > 0 else { throw CLIError("--read-timeout must be a number > 0 (got \(readTimeout))") }
        if let serve {
            do { _ = try PreviewServer.parse(serve) } catch { throw CLIError(String(describing: error)) }
        }
    }

    /// `latest` for live inputs unless --lossless, `lossless` for files unless --latest.
    func policy(for input: String) -> FramePolicy {
        if lossless { return .lossless }
        if latest { return .latest }
        return VideoInput.isLive(input) ? .latest : .lossless
    }

    /// Opens the input: a reconnecting `LiveVideoSource` for cameras and stream URLs (reconnects logged on stderr),
    /// a plain `VideoSource` for files, read at the file's frame rate under `latest`.
    func openSource(_ input: String) throws -> any FrameSource {
        if VideoInput.isLive(input) {
            return try LiveVideoSource(url: input, readTimeout: readTimeout, reconnectTimeout: reconnectTimeout) { line in
                let newline = isatty(STDERR_FILENO) != 0 ? "\n" : ""
                StandardError.write(newline + "mrcnn: " + line + "\n")
            }
        }
        let file = try VideoSource(url: input)
        return policy(for: input) == .latest ? RealTimeSource(file) : file
    }
}

/// A file source read at its own pace: each frame is handed out no earlier than its timestamp (from the first
/// frame, on the wall clock), the way a camera or `ffmpeg -re` delivers them. Used for `--latest` on files.
final class RealTimeSource: FrameSource, @unchecked Sendable {
    private let source: VideoSource
    private var start: ContinuousClock.Instant?
    private var firstTime = 0.0

    init(_ source: VideoSource) { self.source = source }

    var url: String { source.url }
    var info: VideoInfo { source.info }
    func interrupt() { source.interrupt() }
    func close() { source.close() }

    func nextFrame() throws -> DecodedFrame? {
        let next: DecodedFrame?
        do {
            next = try source.nextFrame()
        } catch {
            if source.interruption.isSet { return nil }   // stopped mid-read: not a damaged file
            throw error
        }
        guard let frame = next else { return nil }
        guard let start else {
            self.start = .now
            firstTime = frame.time
            return frame
        }
        let due = start + .milliseconds(Int64(((frame.time - firstTime) * 1000).rounded()))
        while ContinuousClock.now < due {
            if source.interruption.isSet { return nil }
            Thread.sleep(forTimeInterval: min(0.02, max(0.001, Double(ContinuousClock.now.duration(to: due).components.attoseconds) * 1e-18)))
        }
        return frame
    }
}

/// The live side of one run: the preview server fed with JPEG frames and stats, plus the closing report lines.
final class LiveSession: @unchecked Sendable {
    let input: String
    let source: any FrameSource
    let monitor = PipelineMonitor()
    private let server: PreviewServer?
    private let encoder = JPEGEncoder(quality: 5)
    private var statsTask: Task<Void, Never>?

    init(input: String, source: any FrameSource, serve: String?) throws {
        self.input = input
        self.source = source
        server = try serve.map { try PreviewServer(address: $0) }
    }

    /// Reconnections of a live source so far (0 for files).
    var reconnects: Int { (source as? LiveVideoSource)?.reconnects ?? 0 }

    /// Starts the preview server, if one was asked for, and its stats refresh; prints its address.
    func start() async throws {
        guard let server else { return }
        let port: Int
        do { port = try await server.start() } catch { throw CLIError(String(describing: error)) }
        let host = server.host.contains(":") ? "[\(server.host)]" : server.host
        StandardError.write("mrcnn: preview at http://\(host):\(port)/\n")
        statsTask = Task { [weak self] in
            while !Task.isCancelled {
                self?.refreshStats()
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Makes a stop request interrupt a live (or real-time) source's blocking read; files just stop after the frame.
    func interruptOnStop(_ stop: StopFlag) {
        guard VideoInput.isLive(input) || source is RealTimeSource else { return }
        let source = self.source
        stop.whenSet { source.interrupt() }
    }

    /// Sends a finished frame to the preview (JPEG); a frame that cannot be encoded is skipped.
    func publish(_ record: FrameRecord) {
        guard let server else { return }
        if let jpeg = try? encoder.encode(rgb: record.image.pixels, width: record.image.width, height: record.image.height) {
            server.hub.publish(jpeg)
        }
    }

    private func refreshStats() {
        guard let server else { return }
        let snapshot = monitor.snapshot()
        let names = ["decode"] + snapshot.parts.dropFirst().dropLast().map(\.name) + ["encode"]
        let parts = zip(names, snapshot.parts).map { PreviewStats.Part(name: $0, ms: $1.meanMillisecondsPerFrame) }
        server.update(PreviewStats(input: input, policy: snapshot.policy.rawValue, frames: snapshot.frames,
                                   dropped: snapshot.dropped, fps: snapshot.recentFramesPerSecond,
                                   latencyMs: snapshot.lastLatencyMilliseconds, reconnects: reconnects, parts: parts))
    }

    /// Stops the preview server (ends the browsers' streams).
    func stop() async {
        statsTask?.cancel()
        statsTask = nil
        await server?.stop()
    }

    /// Closing-report lines about the live side: policy and drops, latency, reconnects.
    func summaryLines(_ summary: PipelineSummary) -> [String] {
        var lines = [String(format: "  mode: %@, %d frames dropped", summary.policy.rawValue, summary.dropped)]
        let l = summary.latency
        if l.count > 0 {
            lines.append(String(format: "  latency (capture → rendered): mean %.0f ms, median %.0f ms, p95 %.0f ms, max %.0f ms",
                                l.meanMilliseconds, l.medianMilliseconds, l.p95Milliseconds, l.maxMilliseconds))
        }
        if source is LiveVideoSource { lines.append("  reconnects: \(reconnects)") }
        return lines
    }
}
