import ArgumentParser
import Foundation
import Job
import Pipeline
import Results

/// `mrcnn render INPUT --results RESULTS.jsonl -o OUT.mp4`: re-draws a video from saved results, without the model.
struct RenderCommand: AsyncParsableCommand {
    /// The `render` stage's own options as flags (`--min-score`, `--mask-alpha`).
    static let flags = ShorthandFlags(stages: ["render"])

    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "render",
                             abstract: "Draw saved results (mrcnn run --json) onto a video, with no model: frames matched by timestamp.",
                             discussion: flags.help)
    }

    @OptionGroup var job: JobOptions

    @Option(help: "JSON Lines results written by `mrcnn run --json`.")
    var results: String
    @Option(help: "Comma-separated classes to draw, by COCO name or id (e.g. person,car or 1,3). Default: all. Also filters --json.")
    var classes: String?
    @Option(name: .customLong("stage-option"), help: .hidden)
    var flagOptions: [String] = []

    /// The classes to replay; a one-line error naming the flag.
    func classIDs() throws -> Set<Int>? {
        try classes.flatMap { try StageFlags.value($0, OptionKey<Set<Int>?>.classes("classes", default: nil, help: ""), flag: "classes") }
    }

    func makeJob() throws -> VideoJob {
        var video = VideoJob(input: job.input, chain: ["render"], options: try StageFlags.assignments(flagOptions))
        try video.setOutputs(job.output, hlsSegment: job.hlsSegment)
        video.maxFrames = job.maxFrames
        video.results.json = job.json
        video.leadingProvide = ReplayStage.provides
        video.protectedInputs = [results]
        return video
    }

    func validate() throws {
        try JobConsole.checked {
            try job.check()
            guard job.inputs.count == 1 else { throw CLIError("render takes one input video") }
            _ = try classIDs()
            try makeJob().check()
        }
    }

    func run() async throws {
        let replay = try JobConsole.checked {
            ReplayStage(frames: try ResultsReader.load(path: results), classes: try classIDs(), path: results)
        }
        var video = try makeJob()
        video.leadingStages = [replay.plan]
        try await JobConsole.run(video) { _ in
            if replay.matched == 0 {
                StandardError.write("mrcnn: warning: no frame of \(job.input) matched a line of \(results) by timestamp\n")
            }
        }
    }
}
