import Foundation
import Pipeline

/// What a finished `MultiStreamJob` reports: the run's totals, and per stream its frames, frames per second over its
/// own time, drops, capture → written latency, reconnects, outputs and the error that ended it, if one did. A plain value.
public struct MultiStreamReport: Sendable {
    /// One stream's figures.
    public struct Stream: Sendable {
        public let name: String
        public let input: String
        /// Frames written by this run (a resumed stream's earlier frames not counted).
        public let frames: Int
        public let framesPerSecond: Double
        public let dropped: Int
        public let latency: LatencyStats
        public let reconnects: Int
        public let video: String?
        public let results: [String]
        /// Why the stream ended early (it was logged when it happened); nil when it ran to its end or the stop.
        public let failure: String?
    }

    public let summary: PipelineSummary
    public let streams: [Stream]
    /// True when `stop` ended the run before its sources did.
    public let interrupted: Bool
    /// Seconds the model stages computed; nil without a model stage.
    public let modelSeconds: Double?

    init(outcome: ChainRun.Outcome, interrupted: Bool, modelSeconds: Double?) {
        summary = outcome.summary
        self.interrupted = interrupted
        self.modelSeconds = modelSeconds
        streams = outcome.writers.map { n, w in
            Stream(name: w.input.name, input: w.input.input, frames: w.written - w.start.skip, framesPerSecond: w.framesPerSecond,
                   dropped: n < outcome.counts.count ? outcome.counts[n].dropped : 0, latency: LatencyStats(samples: w.latencies),
                   reconnects: w.input.reconnects, video: w.output, results: w.results.all, failure: outcome.failures[n])
        }
    }

    /// The report of a resumed run whose every stream was done already.
    init(nothingLeft: Void) {
        let none = StageTiming(name: "", frames: 0, seconds: 0)
        summary = PipelineSummary(frames: 0, wallSeconds: 0, stopped: false, source: none, stages: [], sink: none)
        (streams, interrupted, modelSeconds) = ([], false, nil)
    }

    /// The streams that ended on an error.
    public var failed: [Stream] { streams.filter { $0.failure != nil } }

    /// The closing report: totals, one line per stream, the model's busy share.
    public var lines: [String] {
        let head = interrupted ? "interrupted: " : ""
        var lines = [String(format: "mrcnn: %@%d streams, %d frames in %.2f s (%.2f fps in all)", head, streams.count,
                            summary.frames, summary.wallSeconds, summary.framesPerSecond)]
        let width = streams.map(\.name.count).max() ?? 0
        for s in streams {
            let name = s.name.padding(toLength: width, withPad: " ", startingAt: 0)
            var line = String(format: "  %@  %5d frames  %6.2f fps  %4d dropped  latency p50 %5.0f ms, p95 %5.0f ms", name,
                              s.frames, s.framesPerSecond, s.dropped, s.latency.medianMilliseconds, s.latency.p95Milliseconds)
            if s.reconnects > 0 { line += "  \(s.reconnects) reconnects" }
            if let failure = s.failure { line += "  ended: \(failure)" }
            lines.append(line)
        }
        if let modelSeconds, summary.wallSeconds > 0 {
            lines.append(String(format: "  model: computing %.1f s of %.1f s, idle %.0f %%", modelSeconds, summary.wallSeconds,
                                max(0, 1 - modelSeconds / summary.wallSeconds) * 100))
        }
        for s in streams { lines.append("  output: " + ([s.video].compactMap { $0 } + s.results).joined(separator: ", ")) }
        return lines
    }
}
