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

    /// The closing report: frames and fps, ms per frame for decode, each stage and encode, live figures, outputs.
    public var lines: [String] {
        var lines: [String] = []
        let head = interrupted ? "interrupted: " : ""
        lines.append(String(format: "mrcnn: %@%d frames in %.2f s (%.2f fps)", head, summary.frames,
                            summary.wallSeconds, summary.framesPerSecond))
        let parts = [summary.source.renamed("decode")] + summary.stages + [summary.sink.renamed("encode")]
        let width = parts.map(\.name.count).max() ?? 0
        for part in parts {
            let name = part.name.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append(String(format: "  %@  %8.2f ms/frame", name, part.meanMillisecondsPerFrame))
        }
        lines += liveLines
        if let output { lines.append("  output: \(output)") }
        for path in results { lines.append("  results: \(path)") }
        return lines
    }
}

extension StageTiming {
    func renamed(_ name: String) -> StageTiming { StageTiming(name: name, frames: frames, seconds: seconds) }
}
