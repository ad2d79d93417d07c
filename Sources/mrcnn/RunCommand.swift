import ArgumentParser
import Foundation
import Job
import Pipeline
import Results

/// `mrcnn run INPUT -o OUT.mp4`: decodes a video, runs the stage chain on every frame, writes an annotated MP4.
/// The stages' own options come as generated flags (`ShorthandFlags`) or `--option`.
struct RunCommand: AsyncParsableCommand {
    /// `run` draws: its detector keeps detections scoring ≥ 0.5 (torchvision's evaluation setting, 0.05, is the
    /// declared default that `detect`, `bench` and library jobs use), so the heads only work on instances worth drawing.
    static let flags = ShorthandFlags(defaults: ["score-threshold": "0.5"])

    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "run",
                             abstract: "Run a stage chain over a video and write the annotated result as H.264 MP4 (audio copied).",
                             discussion: flags.help)
    }

    @OptionGroup var job: JobOptions

    @Option(help: "Comma-separated stage chain, in order (see `mrcnn stages`).")
    var stages: String = "detector,mask,render"
    @Option(help: "Frames per micro-batch handed to each stage.")
    var batchSize: Int = 1
    @Option(help: "Hold this many frames per second: the model's settings move along one quality ladder (with --precision auto fp32 → bf16 on a CPU with bf16 units → int8 with a calibration at hand, then proposals 1000 → 300, keyframe interval 1 → 3, short side 800 → 320 in steps of 32; between two rungs it mixes them to land on the target) while it runs; each change is logged and every --json frame records its settings.")
    var targetFps: Double?
    @Option(help: "With --target-fps: the smallest short side the controller may choose.")
    var minSizeFloor: Int = 320
    @Option(name: .customLong("plugin"), help: "Load a third-party stage plugin (.so built against MRCNNPluginAPI); its stages can then be named in --stages. Repeatable.")
    var plugins: [String] = []
    @Option(name: .customLong("option"), help: "A stage option STAGE.OPTION=VALUE (e.g. tracker.max-age=30; `mrcnn stages` lists them); repeatable. Wins over the flag for the same option.")
    var extraOptions: [String] = []
    @Option(name: .customLong("stage-option"), help: .hidden)
    var flagOptions: [String] = []
    @Option(help: "Write tracked boxes as MOTChallenge txt (frame,id,x,y,w,h,conf,-1,-1,-1); needs a stage that provides track ids (tracker); - writes to stdout.")
    var mot: String?
    @Option(help: "Write tracked masks as MOTS txt (frame id class_id height width rle); needs track ids and masks (tracker, mask).")
    var mots: String?
    @Flag(help: "Add each frame's timing to --json: milliseconds of decode, of each stage's own work (waiting for the model's cores excluded) and of encode.")
    var timing = false
    @Flag(help: "Continue an interrupted run (crash, kill, power cut) of the same input and settings from the last frame its outputs hold, instead of starting over. Refused when the input or the settings differ.")
    var resume = false
    @OptionGroup(title: "Live input")
    var live: LiveOptions
    @OptionGroup(title: "Many inputs")
    var batch: BatchOptions
    @OptionGroup(title: "Still images") var stills: StillFlags

    @OptionGroup(title: "Results to a message broker")
    var publish: PublishOptions

    /// The job for the input with this command's chain and settings (for a batch: the job every input runs).
    func makeJob() throws -> VideoJob {
        var video = VideoJob(input: job.input, chain: StageRegistry.parseChain(stages),
                             options: try StageFlags.assignments(flagOptions + extraOptions))
        try video.setOutputs(job.directory == nil ? job.output : [], hlsSegment: job.hlsSegment)
        video.publish = publish.settings
        (video.batchSize, video.maxFrames, video.plugins, video.resume) = (batchSize, job.maxFrames, plugins, resume)
        (video.targetFPS, video.minSizeFloor, video.live) = (targetFps, minSizeFloor, live.settings)
        (video.live.stills.applyOrientation, video.live.stills.acceptTruncated) = (!stills.ignoreOrientation, stills.acceptTruncated)
        video.results = ResultsPaths(json: job.json, mot: mot, mots: mots, timing: timing)
        video.cacheDirectory = ToolEnvironment.cacheDirectory
        return video
    }

    func validate() throws {
        try JobConsole.checked {
            try job.check()
            if timing && job.json == nil && job.directory == nil {
                throw CLIError("--timing adds per-frame timing to the JSON Lines: give --json FILE too")
            }
            try live.check()
            try batch.check(job, mot: mot, mots: mots)
            // The chain, every option value, the results' needs and the outputs, before any file is opened.
            try videoRun().check()
        }
    }

    /// One job, a list one after another, or several inputs together (one model), from the inputs and `-o`.
    func videoRun() throws -> VideoRun {
        try VideoRun.make(inputs: job.inputs, directory: job.directory, together: batch.together, template: try makeJob(),
                          shard: try ToolEnvironment.shard(batch.shard), streamOptions: batch.streamOptions)
    }

    func run() async throws {
        let run = try JobConsole.checked { try videoRun() }
        let status = try await JobConsole.checked { try await JobConsole.console.run(run, describe: StandardError.describe) }
        if status != 0 { throw ExitCode(status) }
    }
}
