import ArgumentParser
import Foundation
import Job
import Pipeline
import Results
import Tensor

/// `mrcnn run INPUT -o OUT.mp4`: decodes a video, runs the stage chain on every frame, writes an annotated MP4.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a stage chain over a video and write the annotated result as H.264 MP4 (audio copied).")

    @OptionGroup var job: JobOptions

    @Option(help: "Comma-separated stage chain, in order (see `mrcnn stages`).")
    var stages: String = "detector,mask,render"

    @Option(help: "Frames per micro-batch handed to each stage.")
    var batchSize: Int = 1

    @Option(help: "Model weights: torchvision checkpoint (.pth, either layout) or .safetensors; 'seeded:N' for reproducible random weights. Default: the official file in the cache directory.")
    var weights: String?

    @Option(help: "Detector threshold (torchvision's box_score_thresh): detections below it are dropped before the mask and keypoint heads and never reach results files. 0.5 by default here, so the mask head only runs on instances worth drawing; 0.05 reproduces torchvision's evaluation setting.")
    var scoreThreshold: Double = 0.5

    @Option(help: "Short side of the model input (torchvision: 800; smaller is faster).")
    var minSize: Int?

    @Option(help: "Upper bound of the long side of the model input.")
    var maxSize: Int?

    @Option(help: "Model arithmetic: fp32 (default, torchvision parity), bf16 (AMX/AVX512-BF16; fp32 with one warning elsewhere), auto (bf16 where the CPU has bf16 units, else fp32; with --target-fps the controller starts at fp32 and its first step is bf16) or bf16-emulated (bf16 rounding computed in fp32, for accuracy checks).")
    var precision: String?

    @Option(help: "RPN proposals kept per frame after NMS (torchvision's rpn_post_nms_top_n_test: 1000); fewer makes the box head cheaper.")
    var proposals: Int?

    @Option(help: "Most detections kept per frame (torchvision's box_detections_per_img: 100).")
    var detections: Int?

    @Option(help: "Hold this many frames per second: the model's settings move along one quality ladder (with --precision auto on a CPU with bf16 units fp32 → bf16, then proposals 1000 → 300, keyframe interval 1 → 3, short side 800 → 320) while it runs; each change is logged and every --json frame records its settings.")
    var targetFps: Double?

    @Option(help: "With --target-fps: the smallest short side the controller may choose.")
    var minSizeFloor: Int = 320

    @Option(name: .customLong("plugin"), help: "Load a third-party stage plugin (.so built against MRCNNPluginAPI); its stages can then be named in --stages. Repeatable.")
    var plugins: [String] = []

    @Option(name: .customLong("option"), help: "A stage option STAGE.OPTION=VALUE (e.g. tracker.max-age=30; `mrcnn stages` lists them); repeatable. Wins over the dedicated flag for the same setting.")
    var extraOptions: [String] = []

    @Option(help: "Keypoint R-CNN weights for the `keypoints` stage: torchvision checkpoint or 'seeded:N'. Default: the official file in the cache directory.")
    var keypointWeights: String?

    @Option(help: "Keyframe mode: the detector's RPN runs on every N-th frame only; in between the previous frame's boxes are regressed onto the objects by the box head (cheaper; 1 = every frame, torchvision's behaviour).")
    var detectEvery: Int = 1

    @Option(help: "Write tracked boxes as MOTChallenge txt (frame,id,x,y,w,h,conf,-1,-1,-1); needs a stage that provides track ids (tracker).")
    var mot: String?

    @Flag(help: "Add each frame's timing to --json: milliseconds of decode, of each stage's own work (waiting for the model's cores excluded) and of encode.")
    var timing = false

    @Option(help: "Write tracked masks as MOTS txt (frame id class_id height width rle); needs track ids and masks (tracker, mask).")
    var mots: String?

    @Option(help: "Tracker: matched frames before a track is confirmed and gets an id.")
    var minHits: Int?

    @Option(help: "Tracker: frames a lost track is kept before it is removed.")
    var maxAge: Int?

    @Option(help: "Tracker: score of detections matched in the first pass and starting tracks (ByteTrack's high threshold).")
    var trackHigh: Double?

    @Option(help: "Tracker: lowest score of detections matched in the second pass (needs --score-threshold at or below it).")
    var trackLow: Double?

    @Option(help: "Keep only these COCO classes, by name or id (e.g. person,car), before the mask and keypoint heads (Ultralytics' classes).")
    var classes: String?

    @Flag(help: "Tracker: associate by box IoU only, ignoring masks.")
    var trackBoxesOnly = false

    @Flag(help: "Continue an interrupted run (crash, kill, power cut) of the same input and settings from the last frame its outputs hold, instead of starting over. Refused when the input or the settings differ.")
    var resume = false

    @OptionGroup(title: "Live input")
    var live: LiveOptions

    @OptionGroup(title: "Many inputs")
    var batch: BatchOptions

    /// Stage options as STAGE.OPTION → value. Precedence: a dedicated flag is shorthand for the option on every
    /// stage that has it (`--min-size` → detector.min-size and keypoints.min-size); `--option` wins over it.
    var stageOptions: [String: String] {
        var options: [String: String] = [:]
        func set(_ option: String, _ value: (any CustomStringConvertible)?, on stages: String...) {
            if let value { for stage in stages { options["\(stage).\(option)"] = value.description } }
        }
        set("weights", weights, on: "detector")
        set("weights", keypointWeights, on: "keypoints")
        set("score-threshold", scoreThreshold, on: "detector", "keypoints")
        set("min-size", minSize, on: "detector", "keypoints")
        set("max-size", maxSize, on: "detector", "keypoints")
        set("detect-every", detectEvery, on: "detector")
        set("classes", classes, on: "detector")
        set("precision", precision, on: "detector", "keypoints")
        set("proposals", proposals, on: "detector", "keypoints")
        set("detections", detections, on: "detector", "keypoints")
        set("min-score", job.minScore, on: "render")
        set("min-hits", minHits, on: "tracker")
        set("max-age", maxAge, on: "tracker")
        set("high-score", trackHigh, on: "tracker")
        set("low-score", trackLow, on: "tracker")
        if trackBoxesOnly { set("use-masks", false, on: "tracker") }
        for pair in extraOptions {
            if let (key, value) = StageRegistry.parseAssignment(pair) { options[key] = value }
        }
        return options
    }

    func validate() throws {
        try JobConsole.reportingErrors {
            try job.check()
            for pair in extraOptions where StageRegistry.parseAssignment(pair) == nil {
                throw CLIError("--option expects STAGE.OPTION=VALUE, got '\(pair)'")
            }
            guard detectEvery >= 1 else { throw CLIError("--detect-every must be at least 1 (got \(detectEvery))") }
            guard batchSize >= 1 else { throw CLIError("--batch-size must be at least 1 (got \(batchSize))") }
            guard scoreThreshold.isFinite, (0...1).contains(scoreThreshold) else {
                throw CLIError("--score-threshold must be a score from 0 to 1 (got \(scoreThreshold))")
            }
            _ = try classes.map(RenderCommand.parseClasses)
            if let minSize, minSize < 32 { throw CLIError("--min-size must be at least 32 (got \(minSize))") }
            if let maxSize, maxSize < 32 { throw CLIError("--max-size must be at least 32 (got \(maxSize))") }
            if timing && job.json == nil && !BatchOptions.isBatch(output: job.output) {
                throw CLIError("--timing adds per-frame timing to the JSON Lines: give --json FILE too")
            }
            if let targetFps, !(targetFps.isFinite && targetFps > 0) { throw CLIError("--target-fps must be a positive number (got \(targetFps))") }
            guard minSizeFloor >= 32 else { throw CLIError("--min-size-floor must be at least 32 (got \(minSizeFloor))") }
            if let proposals, proposals < 1 { throw CLIError("--proposals must be at least 1 (got \(proposals))") }
            if let detections, detections < 1 { throw CLIError("--detections must be at least 1 (got \(detections))") }
            try live.check()
            try batch.check(output: job.output, json: job.json, mot: mot, mots: mots)
            // The chain and its options, checked before any file is opened.
            let registry = try StageCatalog.makeRegistry(plugins: plugins)
            try registry.validate(StageRegistry.parseChain(stages))
            _ = try registry.resolveOptions(stageOptions.map { ($0.key, $0.value) })
        }
    }

    func run() async throws {
        if BatchOptions.isBatch(output: job.output) { return try await runBatch() }
        var video = makeJob(input: job.input, output: job.output, results: ResultsPaths(json: job.json, mot: mot, mots: mots))
        video.resume = resume
        try await JobConsole.run(video)
    }

    /// The job for one input with this command's chain and settings.
    func makeJob(input: String, output: String, results: ResultsPaths) -> VideoJob {
        var video = VideoJob(input: input, output: output, chain: StageRegistry.parseChain(stages), options: stageOptions)
        video.batchSize = batchSize
        video.maxFrames = job.maxFrames
        video.results = results
        video.results.timing = timing
        video.plugins = plugins
        video.cacheDirectory = ToolEnvironment.cacheDirectory
        video.live = live.settings
        video.targetFPS = targetFps
        video.minSizeFloor = minSizeFloor
        return video
    }
}
