import Foundation
import Pipeline

/// What a finished `VideoJob` reports: the runner's summary, whether a stop request ended it, and the closing
/// report as text lines (timings per part, live figures, output paths). A plain value.
public struct JobReport: Sendable {
    public let summary: PipelineSummary
    /// True when `stop` ended reading before the input did.
    public let interrupted: Bool
    public let output: String?
    public let results: [String]
    /// Mode and drops, latency, reconnects.
    public let liveLines: [String]
    /// Seconds the model stages computed (held the shared compute gate); nil without a model stage.
    public var modelSeconds: Double?
    /// Milliseconds of each part's own work summed over the frames written (decode, stages less their waits for
    /// the compute gate, encode); nil: the runner's wall time per part is shown instead.
    public var busy: FrameTiming?
    /// Packets the live outputs dropped and results messages the broker publisher dropped (nil: no such outlet).
    public var outputDropped: Int?
    public var publishDropped: Int?
    /// The frame-rate controller's target, final settings and the rate it held (empty without `--target-fps`).
    public var controlLines: [String] = []

    /// The model's idle share of the run's wall time (0…1): waiting for frames, for room downstream, or between runs.
    public var modelIdleFraction: Double? {
        guard let modelSeconds, summary.wallSeconds > 0 else { return nil }
        return max(0, 1 - modelSeconds / summary.wallSeconds)
    }

    init(summary: PipelineSummary, interrupted: Bool, output: String?, results: [String], liveLines: [String]) {
        self.summary = summary
        self.interrupted = interrupted
        self.output = output
        self.results = results
        self.liveLines = liveLines
    }

    /// The closing report: frames and fps, ms per frame for decode, each stage and encode, live figures, outputs.
    public var lines: [String] {
        var lines: [String] = []
        let head = interrupted ? "interrupted: " : ""
        let drops = (outputDropped.map { ", \($0) stream packets dropped" } ?? "")
            + (publishDropped.map { ", \($0) results messages dropped" } ?? "")
        lines.append(String(format: "mrcnn: %@%d frames in %.2f s (%.2f fps)", head, summary.frames,
                            summary.wallSeconds, summary.framesPerSecond) + drops)
        let parts = [summary.source.renamed("decode")] + summary.stages + [summary.sink.renamed("encode")]
        let width = parts.map(\.name.count).max() ?? 0
        for part in parts {
            let name = part.name.padding(toLength: width, withPad: " ", startingAt: 0)
            // A part's own work where it was measured per frame, else its wall time in the runner.
            let seconds = self.busy?[part.name].map { $0 / 1000 } ?? part.seconds
            let busy = summary.wallSeconds > 0 ? 100 * seconds / summary.wallSeconds : 0
            let frames = self.busy?[part.name] != nil ? summary.frames : part.frames
            let ms = frames > 0 ? seconds * 1000 / Double(frames) : 0
            lines.append(String(format: "  %@  %8.2f ms/frame  busy %3.0f %%, waiting %3.0f %%", name,
                                ms, min(busy, 100), max(0, 100 - busy)))
        }
        if let idle = modelIdleFraction, let model = modelSeconds {
            lines.append(String(format: "  model: computing %.1f s of %.1f s, idle %.0f %%", model, summary.wallSeconds, idle * 100))
        }
        lines += controlLines
        lines += liveLines
        if let output { lines.append("  output: \(output)") }
        for path in results { lines.append("  results: \(path == "-" ? "standard output" : path)") }
        return lines
    }
}

extension StageTiming {
    func renamed(_ name: String) -> StageTiming { StageTiming(name: name, frames: frames, seconds: seconds) }
}
