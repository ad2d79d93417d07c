import Foundation
import Pipeline
import VideoIO

/// One `run`: video source → stage chain → MP4 sink, with progress, signal handling and a closing summary.
struct VideoJob {
    enum Outcome: Equatable { case completed, interrupted }

    let input: String
    let output: String
    let chain: [String]
    let options: [String: String]
    let batchSize: Int
    let maxFrames: Int?
    /// Results files (JSON Lines, MOT, MOTS) written next to the video, frame by frame.
    let results: ResultsPaths
    /// Stages run before the registry's chain (e.g. `render`'s replay of saved results).
    let leadingStages: [any Stage]
    /// Runtime plugins (.so paths) whose stages join the registry.
    var plugins: [String] = []
    /// Live input: frame policy, reconnecting, preview server (defaults suit files).
    var live = LiveSettings()

    init(input: String, output: String, chain: [String], options: [String: String], batchSize: Int, maxFrames: Int?,
         results: ResultsPaths = ResultsPaths(), leadingStages: [any Stage] = []) throws {
        self.input = input
        self.output = output
        self.chain = chain
        self.options = options
        self.batchSize = batchSize
        self.maxFrames = maxFrames
        self.results = results
        self.leadingStages = leadingStages
        for path in [output] + results.all {
            if Self.samePath(input, path) {
                throw CLIError("output '\(path)' is the input file; refusing to overwrite it")
            }
        }
        for path in results.all { try OutputPath.checkWritable(path) }
        let outputs = [output] + results.all
        if Set(outputs.map { URL(fileURLWithPath: $0).standardizedFileURL.path }).count < outputs.count {
            throw CLIError("the video and results outputs must be different files")
        }
    }

    func run() async throws -> Outcome {
        let registry = try StageCatalog.makeRegistry(plugins: plugins)
        try registry.validate(chain)
        try live.check()
        let source = try live.openSource(input)
        defer { source.close() }
        let session = try LiveSession(input: input, source: source, serve: live.serve)
        let info = source.info
        let stages = try leadingStages + registry.makeChain(chain, context: StageContext(options: options))
        // From here on a signal only asks to stop, so the output is always finalised.
        let stop = StopFlag()
        let trap = SignalTrap(stop: stop)
        defer { trap.cancel() }
        session.interruptOnStop(stop)
        try await session.start()
        let sink = try VideoSink(path: output, width: info.width, height: info.height,
                                 timeBaseNum: info.timeBaseNum, timeBaseDen: info.timeBaseDen,
                                 frameRate: info.averageFrameRate,
                                 audioFrom: info.hasAudio && !VideoInput.isLive(input) ? input : nil)
        let writers = try ResultsWriters(json: results.json, mot: results.mot, mots: results.mots)
        defer { writers.close() }

        let reader = FrameReader(source: source, limit: maxFrames)
        let total = [info.estimatedFrameCount, maxFrames].compactMap { $0 }.min()
        let progress = ProgressReporter(total: total)
        var written = 0
        let runner = PipelineRunner(stages: stages, batchSize: batchSize, policy: live.policy(for: input))

        let summary: PipelineSummary
        do {
            summary = try await runner.run(read: { try reader.next() }, stop: stop, monitor: session.monitor) { record in
                try sink.write(rgb: record.image.pixels, pts: record.pts)
                try writers.write(record)
                written += 1
                progress.update(done: written)
                session.publish(record)
            }
        } catch {
            progress.finish()
            await session.stop()
            // Keep what was written playable (or leave no empty file behind), then report the original failure.
            sink.trimAudioToVideo = true
            try? sink.finish()
            if written == 0 { try? FileManager.default.removeItem(atPath: output) }
            throw error
        }
        progress.finish()
        // When only part of the input went through, keep the audio to the video's length.
        sink.trimAudioToVideo = stop.isSet || maxFrames != nil
        await session.stop()
        try sink.finish()
        let interrupted = stop.isSet
        printSummary(summary, interrupted: interrupted, extra: session.summaryLines(summary))
        return interrupted ? .interrupted : .completed
    }

    private func printSummary(_ summary: PipelineSummary, interrupted: Bool, extra: [String] = []) {
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
        lines += extra
        lines.append("  output: \(output)")
        for path in results.all { lines.append("  results: \(path)") }
        StandardError.write(lines.joined(separator: "\n") + "\n")
    }

    /// True when both paths name the same existing file (after resolving symlinks and relative parts).
    static func samePath(_ a: String, _ b: String) -> Bool {
        let ua = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath()
        let ub = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath()
        if ua.path == ub.path { return true }
        guard let ia = try? FileManager.default.attributesOfItem(atPath: ua.path),
              let ib = try? FileManager.default.attributesOfItem(atPath: ub.path) else { return false }
        return (ia[.systemFileNumber] as? Int) == (ib[.systemFileNumber] as? Int)
            && (ia[.systemNumber] as? Int) == (ib[.systemNumber] as? Int)
            && ia[.systemFileNumber] != nil
    }
}

/// Where `run` writes its results files; nil = not written.
struct ResultsPaths {
    var json: String?
    var mot: String?
    var mots: String?

    var all: [String] { [json, mot, mots].compactMap { $0 } }
}

private extension StageTiming {
    func renamed(_ name: String) -> StageTiming { StageTiming(name: name, frames: frames, seconds: seconds) }
}

/// Pulls decoded frames from a `VideoSource` as pipeline records, up to an optional limit; used by the reader task only.
final class FrameReader: @unchecked Sendable {
    private let source: any FrameSource
    private let limit: Int?
    private var count = 0

    init(source: any FrameSource, limit: Int?) {
        self.source = source
        self.limit = limit
    }

    func next() throws -> FrameRecord? {
        if let limit, count >= limit { return nil }
        guard let frame = try source.nextFrame() else { return nil }
        count += 1
        return FrameRecord(index: frame.index, pts: frame.pts, time: frame.time,
                           image: RGBImage(width: frame.width, height: frame.height, pixels: frame.rgb))
    }
}
