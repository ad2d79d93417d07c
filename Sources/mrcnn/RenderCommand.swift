import ArgumentParser
import Foundation
import Job
import Pipeline
import Results

/// `mrcnn render INPUT --results RESULTS.jsonl -o OUT.mp4`: re-draws a video from saved results, without the model.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw saved results (mrcnn run --json) onto a video, with no model: frames matched by timestamp.")

    @OptionGroup var job: JobOptions

    @Option(help: "JSON Lines results written by `mrcnn run --json`.")
    var results: String

    @Option(help: "Comma-separated classes to draw, by COCO name or id (e.g. person,car or 1,3). Default: all. Also filters --json.")
    var classes: String?

    func validate() throws {
        try JobConsole.reportingErrors {
            try job.check()
            _ = try classes.map(Self.parseClasses)
            for path in [job.output] + (job.json.map { [$0] } ?? []) where OutputPaths.same(results, path) {
                throw CLIError("output '\(path)' is the results file; refusing to overwrite it")
            }
        }
    }

    func run() async throws {
        let replay: ReplayStage
        do {
            replay = ReplayStage(frames: try ResultsReader.load(path: results), classes: try classes.map(Self.parseClasses),
                                 path: results)
        } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
        var video = VideoJob(input: job.input, output: job.output, chain: ["render"], options: ["render.min-score": String(job.minScore)])
        video.maxFrames = job.maxFrames
        video.results.json = job.json
        video.leadingStages = [replay.plan]
        video.leadingProvide = ReplayStage.provides
        try await JobConsole.run(video) { _ in
            if replay.matched == 0 {
                StandardError.write("mrcnn: warning: no frame of \(job.input) matched a line of \(results) by timestamp\n")
            }
        }
    }

    /// COCO category ids from "person,car" or "1,3"; a one-line error naming the flag.
    static func parseClasses(_ text: String) throws -> Set<Int> {
        switch COCOCategories.ids(text) {
        case .success(let ids): return ids
        case .failure(let error): throw CLIError("--classes: \(error)")
        }
    }
}
