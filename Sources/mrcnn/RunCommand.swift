import ArgumentParser
import Foundation
import Pipeline
import Tensor

/// `mrcnn run INPUT -o OUT.mp4`: decodes a video, runs the stage chain on every frame, writes an annotated MP4.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a stage chain over a video and write the annotated result as H.264 MP4 (audio copied).")

    @Argument(help: "Input video file or URL.")
    var input: String

    @Option(name: [.short, .customLong("output")], help: "Output MP4 path (never the input).")
    var output: String

    @Option(help: "Comma-separated stage chain, in order (see `mrcnn stages`).")
    var stages: String = "detector,mask,render"

    @Option(help: "Frames per micro-batch handed to each stage.")
    var batchSize: Int = 1

    @Option(help: "Model weights: torchvision checkpoint (.pth, either layout) or .safetensors; 'seeded:N' for reproducible random weights. Default: the official file in the cache directory.")
    var weights: String?

    @Option(help: "Detector score threshold (torchvision's box_score_thresh). 0.5 by default here, so the mask head only runs on instances worth drawing; 0.05 reproduces torchvision's evaluation setting.")
    var scoreThreshold: Double = 0.5

    @Option(help: "Short side of the model input (torchvision: 800; smaller is faster).")
    var minSize: Int?

    @Option(help: "Upper bound of the long side of the model input.")
    var maxSize: Int?

    @Option(help: "Model arithmetic: fp32 (default, torchvision parity), bf16 (AMX/AVX512-BF16; fp32 with a warning elsewhere) or bf16-emulated.")
    var precision: String = "fp32"

    @Option(help: "Draw only instances scoring at least this.")
    var minScore: Double = 0.5

    @Option(name: .customLong("plugin"), help: "Load a third-party stage plugin (.so built against MRCNNPluginAPI); its stages can then be named in --stages. Repeatable.")
    var plugins: [String] = []

    @Option(name: .customLong("option"), help: "A stage option KEY=VALUE passed to every stage (e.g. blur-classes=all); repeatable.")
    var extraOptions: [String] = []

    @Option(help: "Keypoint R-CNN weights for the `keypoints` stage: torchvision checkpoint or 'seeded:N'. Default: the official file in the cache directory.")
    var keypointWeights: String?

    @Option(help: "Keyframe mode: the detector's RPN runs on every N-th frame only; in between the previous frame's boxes are regressed onto the objects by the box head (cheaper; 1 = every frame, torchvision's behaviour).")
    var detectEvery: Int = 1

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(help: "Write results as JSON Lines, one line per frame (boxes, classes, scores, RLE masks, keypoints, track ids).")
    var json: String?

    @Option(help: "Write tracked boxes as MOTChallenge txt (frame,id,x,y,w,h,conf,-1,-1,-1); needs the tracker stage.")
    var mot: String?

    @Option(help: "Write tracked masks as MOTS txt (frame id class_id height width rle); needs the tracker and mask stages.")
    var mots: String?

    @Option(help: "Tracker: matched frames before a track is confirmed and gets an id.")
    var minHits: Int?

    @Option(help: "Tracker: frames a lost track is kept before it is removed.")
    var maxAge: Int?

    @Option(help: "Tracker: score of detections matched in the first pass and starting tracks (ByteTrack's high threshold).")
    var trackHigh: Double?

    @Option(help: "Tracker: lowest score of detections matched in the second pass (needs --score-threshold at or below it).")
    var trackLow: Double?

    @Flag(help: "Tracker: associate by box IoU only, ignoring masks.")
    var trackBoxesOnly = false

    @OptionGroup(title: "Live input")
    var live: LiveOptions

    /// Options handed to every stage factory, by key.
    var stageOptions: [String: String] {
        var options = ["min-score": String(minScore), "batch-size": String(batchSize)]
        if let weights { options["weights"] = weights }
        if let keypointWeights { options["keypoint-weights"] = keypointWeights }
        options["detect-every"] = String(detectEvery)
        for pair in extraOptions {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { options[parts[0]] = parts[1] }
        }
        options["score-threshold"] = String(scoreThreshold)
        if let minSize { options["min-size"] = String(minSize) }
        if let maxSize { options["max-size"] = String(maxSize) }
        options["precision"] = precision
        if let minHits { options["min-hits"] = String(minHits) }
        if let maxAge { options["max-age"] = String(maxAge) }
        if let trackHigh { options["track-high"] = String(trackHigh) }
        if let trackLow { options["track-low"] = String(trackLow) }
        if trackBoxesOnly { options["track-masks"] = "false" }
        return options
    }

    func run() async throws {
        let outcome: VideoJob.Outcome
        do {
            try checkArguments()
            var job = try VideoJob(input: input, output: output, chain: StageRegistry.parseChain(stages),
                                   options: stageOptions, batchSize: batchSize, maxFrames: maxFrames,
                                   results: ResultsPaths(json: json, mot: mot, mots: mots))
            job.plugins = plugins
            job.live = live.settings
            outcome = try await job.run()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
        if outcome == .interrupted { throw ExitCode(130) }
    }

    private func checkArguments() throws {
        for pair in extraOptions where !pair.contains("=") || pair.hasPrefix("=") {
            throw CLIError("--option expects KEY=VALUE, got '\(pair)'")
        }
        guard detectEvery >= 1 else { throw CLIError("--detect-every must be at least 1 (got \(detectEvery))") }
        guard batchSize >= 1 else { throw CLIError("--batch-size must be at least 1 (got \(batchSize))") }
        if let maxFrames, maxFrames < 1 { throw CLIError("--max-frames must be at least 1 (got \(maxFrames))") }
        guard minScore.isFinite else { throw CLIError("--min-score must be a number") }
        guard scoreThreshold.isFinite, scoreThreshold >= 0 else { throw CLIError("--score-threshold must be a number ≥ 0") }
        if let minSize, minSize < 32 { throw CLIError("--min-size must be at least 32 (got \(minSize))") }
        if let maxSize, maxSize < 32 { throw CLIError("--max-size must be at least 32 (got \(maxSize))") }
        guard Precision(rawValue: precision) != nil else { throw CLIError("--precision must be fp32, bf16 or bf16-emulated (got '\(precision)')") }
        guard !output.isEmpty else { throw CLIError("--output must not be empty") }
        let chain = StageRegistry.parseChain(stages)
        for (flag, path, needs) in [("--mot", mot, ["tracker"]), ("--mots", mots, ["tracker", "mask"])] where path != nil {
            for stage in needs where !chain.contains(stage) {
                throw CLIError("\(flag) needs the '\(stage)' stage in --stages (got '\(stages)')")
            }
        }
    }
}
