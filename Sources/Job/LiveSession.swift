import Foundation
import Synchronization
import Telemetry
import Pipeline
import Preview
import VideoIO

/// The live side of one run: the preview server fed with JPEG frames and stats, the metrics server (`/metrics`
/// also on the preview's), both refreshed from the run's monitor and outlets, plus the closing report lines.
/// The servers start before the source opens (a stream joined between keyframes takes seconds to give its first
/// picture): the page says "waiting for the source" until frames come.
final class LiveSession: Sendable {
    let input: String
    private let attached = Mutex<[StreamInput]>([])
    private let attachedScheduler = Mutex<StreamScheduler?>(nil)
    let monitor = PipelineMonitor()
    let outlets: RunOutlets
    private let server: PreviewServer?
    private let metricsServer: PreviewServer?
    private let encoder = JPEGEncoder(quality: 5)
    private let statsTask = Mutex<Task<Void, Never>?>(nil)
    private let heartbeat = Heartbeat()
    /// `/healthz` answers 503 once no frame has finished for this long.
    static let stalledAfter = Duration.seconds(60)

    private let log: @Sendable (String) -> Void

    init(input: String, live: LiveSettings, outlets: RunOutlets, log: @escaping @Sendable (String) -> Void) throws {
        self.input = input
        self.log = log
        self.outlets = outlets
        let route = outlets.metrics.map { registry in MetricsRoute(contentType: RunMetrics.contentType) { registry.text } }
        let heartbeat = self.heartbeat
        let healthy: @Sendable () -> Bool = { heartbeat.beat(within: Self.stalledAfter) }
        server = try live.serve.map { try PreviewServer(address: $0, token: live.serveToken, metrics: route, healthy: healthy) }
        metricsServer = try live.metrics.flatMap { address in
            address == live.serve ? nil
                : try PreviewServer(address: address, token: live.serveToken, metrics: route, metricsOnly: true, healthy: healthy)
        }
    }

    /// The run's streams, once they are made.
    var inputs: [StreamInput] {
        get { attached.withLock { $0 } }
        set { attached.withLock { $0 = newValue } }
    }

    /// The run's scheduler, once it runs (each stream's drops).
    var scheduler: StreamScheduler? {
        get { attachedScheduler.withLock { $0 } }
        set { attachedScheduler.withLock { $0 = newValue } }
    }

    /// A many-source run's `/streams` (list, add, remove) on the preview server, and on the metrics server.
    func offer(_ control: StreamControl) {
        server?.setControl(control)
        metricsServer?.setControl(control)
    }

    /// A many-source run: the preview shows a grid with a tile per stream (`/stream/NAME` each).
    func showTiles() { server?.setStreams(inputs.map(\.name)) }

    /// Reconnections of the live sources so far (0 for files).
    var reconnects: Int { inputs.reduce(0) { $0 + $1.reconnects } }

    /// Starts the preview and metrics servers that were asked for, and their stats refresh; prints their addresses.
    func start() async throws {
        if let server { log("preview at \(server.url(port: try await server.start()))") }
        if let metricsServer { log("metrics at \(metricsServer.url(port: try await metricsServer.start(), path: "metrics"))") }
        guard server != nil || metricsServer != nil else { return }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                self?.refreshStats()
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        statsTask.withLock { $0 = task }
    }

    /// Sends a finished frame to the preview (JPEG); a frame that cannot be encoded is skipped.
    func publish(_ record: FrameRecord) {
        guard let server else { return }
        if let jpeg = try? encoder.encode(rgb: record.image.pixels, width: record.image.width, height: record.image.height) {
            server.hub.publish(jpeg)
            let streams = inputs
            if record.stream < streams.count { server.hub(for: streams[record.stream].name)?.publish(jpeg) }
        }
    }

    private func refreshStats() {
        let snapshot = monitor.snapshot()
        heartbeat.note(frames: snapshot.frames)
        let streams = inputs, counts = scheduler?.counts ?? []
        for (n, input) in streams.enumerated() {
            outlets.refresh(stream: input.name, dropped: n < counts.count ? counts[n].dropped : 0, reconnects: input.reconnects,
                            fps: input.pace.fps)
        }
        outlets.refresh(outputsOf: streams.count == 1 ? streams[0].name : nil)
        guard let server else { return }
        let names = ["decode"] + snapshot.parts.dropFirst().dropLast().map(\.name) + ["encode"]
        let parts = zip(names, snapshot.parts).map { PreviewStats.Part(name: $0, ms: $1.meanMillisecondsPerFrame) }
        var stats = PreviewStats(input: input, policy: snapshot.policy.rawValue, frames: snapshot.frames,
                                 dropped: snapshot.dropped, fps: snapshot.recentFramesPerSecond,
                                 latencyMs: snapshot.lastLatencyMilliseconds, reconnects: reconnects, parts: parts)
        (stats.outputDropped, stats.publishDropped) = (outlets.outputDropped, outlets.publishDropped)
        if streams.count > 1 || server.hub(for: streams.first?.name ?? "") != nil {
            stats.streams = streams.enumerated().map { n, input in
                let pace = input.pace
                return PreviewStats.Tile(name: input.name, frames: pace.frames, dropped: n < counts.count ? counts[n].dropped : 0,
                                         fps: pace.fps, latencyMs: pace.latencyMs, reconnects: input.reconnects)
            }
        }
        server.update(stats)
    }

    /// Stops the servers (ends the browsers' streams).
    func stop() async {
        statsTask.withLock { task in
            task?.cancel()
            task = nil
        }
        await server?.stop()
        await metricsServer?.stop()
    }

    /// Closing-report lines about the live side: policy and drops, latency, reconnects.
    func summaryLines(_ summary: PipelineSummary) -> [String] {
        var lines = [String(format: "  mode: %@, %d frames dropped", summary.policy.rawValue, summary.dropped)]
        let l = summary.latency
        if l.count > 0 {
            lines.append(String(format: "  latency (capture → rendered): mean %.0f ms, median %.0f ms, p95 %.0f ms, max %.0f ms",
                                l.meanMilliseconds, l.medianMilliseconds, l.p95Milliseconds, l.maxMilliseconds))
        }
        if inputs.contains(where: { $0.source is LiveVideoSource }) { lines.append("  reconnects: \(reconnects)") }
        return lines
    }
}

/// When the count of finished frames last grew (the run's start until the first one): what `/healthz` reports.
final class Heartbeat: Sendable {
    private let state = Mutex((frames: 0, at: ContinuousClock.now))

    func note(frames: Int) { state.withLock { if frames > $0.frames { $0 = (frames, .now) } } }

    func beat(within limit: Duration) -> Bool { state.withLock { $0.at }.duration(to: .now) < limit }
}
