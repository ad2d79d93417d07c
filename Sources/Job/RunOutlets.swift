import Detector
import Foundation
import Pipeline
import Publish
import Results
import Synchronization
import Telemetry
import VideoIO

/// A run's doors out besides its files and video: the broker publisher (one QoS 1 message per frame, the frame's
/// JSON Lines line) and the metrics registry behind `/metrics`, with one `StreamMetrics` per stream by name (a
/// single-stream run's is its input's base name). Fed per frame from the sink task (`written`) and every 250 ms
/// from the live session's refresh (`refresh`); the counts the closing report, `/stats.json` and `/metrics` share.
/// Thread-safe.
final class RunOutlets: Sendable {
    let publisher: MQTTPublisher?
    /// The run's registry, when something serves `/metrics`.
    let metrics: RunMetrics?
    private let streams = Mutex<[String: StreamMetrics]>([:])
    private let gate: ComputeGate?
    private let started = ContinuousClock.now
    private let outputs = Mutex<[(target: StreamTarget, stats: StreamStats)]>([])
    private let finalPublish = Mutex<MQTTPublisher.Stats?>(nil)

    /// Starts the publisher, waiting up to `publish.connectTimeout` for the broker: its refusal (a wrong password)
    /// throws; a broker not reachable yet is one `log` line and the publisher keeps trying while the run goes on.
    /// `metered`: keep a metrics registry; `gate`: the model's, for its busy share.
    init(publish: PublishSettings?, metered: Bool, gate: ComputeGate?, log: @Sendable (String) -> Void) throws {
        metrics = metered ? RunMetrics() : nil
        self.gate = gate
        guard let publish else {
            publisher = nil
            return
        }
        let (target, options) = try publish.resolve()
        let publisher = try MQTTPublisher(target: target, options: options)
        do {
            if try !publisher.waitForConnection(timeout: publish.connectTimeout) {
                log("broker \(target) not reachable (\(publisher.stats.lastError ?? "no answer")); publishing once it is, the run goes on")
            }
        } catch {
            _ = publisher.finish(drain: .zero)
            throw error
        }
        self.publisher = publisher
    }

    /// The metrics of the stream named `name` (nil when nothing serves `/metrics`).
    private func metrics(_ name: String) -> StreamMetrics? {
        guard let metrics else { return nil }
        return streams.withLock { s in
            if let m = s[name] { return m }
            let m = metrics.stream(name)
            s[name] = m
            return m
        }
    }

    /// A frame of stream `name` was read from its source.
    func read(_ name: String) { metrics(name)?.frameRead() }

    /// A frame of stream `name` reached the sink and its files: publish it, record its latency and stage times, note
    /// the live outputs' counts and the controller's rung.
    func written(_ record: FrameRecord, stream name: String, outputs now: [(target: StreamTarget, stats: StreamStats)], rung: Int?) {
        publisher?.send(ResultsFormat.jsonLine(record))
        if !now.isEmpty { outputs.withLock { $0 = now } }
        guard let stream = metrics(name) else { return }
        stream.frameWritten(latency: record.timing.readAt.map { $0.duration(to: .now).inSeconds } ?? 0)
        for part in record.timing.parts { stream.stage(part.name, seconds: part.ms / 1000) }
        stream.gauges(rung: rung, shortSide: record.settings?.shortSide)
    }

    /// One stream's running figures: frames it dropped in latest-frame mode, its source's reconnects, its recent rate.
    func refresh(stream name: String, dropped: Int, reconnects: Int, fps: Double) {
        guard let stream = metrics(name) else { return }
        stream.totals(dropped: dropped, reconnects: reconnects)
        stream.gauges(fps: fps)
    }

    /// The shared figures: the model's busy share, the publisher's counts, the live outputs' drops (they belong to
    /// the one stream a run with live outputs has, `name`).
    func refresh(outputsOf name: String?) {
        guard let metrics else { return }
        let published = publisher?.stats
        let wall = started.duration(to: .now).inSeconds
        metrics.shared.record(modelBusy: gate.map { wall > 0 ? min(1, $0.busySeconds / wall) : 0 }, publishBacklog: published?.backlog,
                              publishDropped: published?.dropped)
        guard let name, let stream = self.metrics(name) else { return }
        for (target, stats) in outputs.withLock({ $0 }) { stream.outputDropped(target.redacted, total: stats.dropped) }
    }

    /// Packets the live outputs dropped so far.
    var outputDropped: Int { outputs.withLock { $0.reduce(0) { $0 + $1.stats.dropped } } }
    /// Results messages the publisher dropped so far (final after `finish`).
    var publishDropped: Int { finalPublish.withLock { $0 }?.dropped ?? publisher?.stats.dropped ?? 0 }

    /// Stops publishing, giving the broker up to `drain` to acknowledge the backlog; `final`: the outputs' last counts.
    func finish(outputs final: [(target: StreamTarget, stats: StreamStats)]? = nil, drain: Duration) {
        if let final { outputs.withLock { $0 = final } }
        if let publisher, finalPublish.withLock({ $0 }) == nil {
            let stats = publisher.finish(drain: drain)
            finalPublish.withLock { $0 = stats }
        }
    }

    /// Closing-report lines: each live output, the publisher.
    var summaryLines: [String] {
        var lines = outputs.withLock { $0 }.map { target, s in
            "  \(target.kind == .stdout ? "stdout" : "\(target.kind.rawValue) \(target.redacted)"): \(s.sent) packets sent, \(s.dropped) dropped, \(s.reconnects) reconnects"
                + (s.lastError.map { " (last error: \($0))" } ?? "")
        }
        if let publisher, let s = finalPublish.withLock({ $0 }) {
            lines.append("  publish \(publisher.target): \(s.delivered) messages delivered, \(s.dropped) dropped, \(s.reconnects) reconnects"
                         + (s.lastError.map { " (last error: \($0))" } ?? ""))
        }
        return lines
    }
}
