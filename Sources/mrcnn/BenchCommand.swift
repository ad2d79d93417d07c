import ArgumentParser
import Detector
import Job
import MaskRCNN
import Pipeline
import Tensor

/// `mrcnn bench`: per-component milliseconds and end-to-end frames/s of the model on frames of a clip, plus the
/// measured sgemm rate and the convolutions' share of it (`BenchJob`). The detector's other options come as
/// generated flags; the swept lists are checked value by value with the options' declarations. Asserts nothing.
struct BenchCommand: ParsableCommand {
    typealias K = ModelOptionKeys
    /// Seeded weights by default: they cost what the official ones cost.
    static let flags = ShorthandFlags(stages: ["detector"], options: [K.weights, K.scoreThreshold, K.maxSize, K.backend, K.kernels, K.detections, K.detectEvery,
                                                                         K.calibration],
                                      defaults: ["weights": "seeded:0"])

    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "bench", abstract: "Benchmark the model on frames of a clip: per-component ms, frames/s, GEMM efficiency.",
                             discussion: flags.help)
    }

    @Option(help: "Clip to take frames from.")
    var input = "samples/vtest.mp4"
    @Option(help: "Number of frames to time (after one warm-up frame).")
    var frames = 5
    @Option(help: "Short sides to benchmark, comma-separated (each a detector min-size).")
    var minSizes = "800,480"
    @Option(help: "RPN proposals kept per frame to benchmark at each short side, comma-separated (torchvision: 1000).")
    var proposals = "1000"
    @Option(help: "Precisions to benchmark, comma-separated, each timed: \(K.precision.expected) (auto: bf16 where the CPU has bf16 units, else fp32).")
    var precision = K.precision.defaultText
    @Option(help: "Model of seeded weights, by torchvision's name or its short one (maskrcnn, maskrcnn_v2, fasterrcnn, fasterrcnn_v2, keypointrcnn); a checkpoint file's own model is recognised by its tensors.")
    var model = "maskrcnn"
    @Option(help: "Activation layout between oneDNN layers: blocked (chains in the kernels' layout) or nchw (reorders around every layer, the engine before blocked chains).")
    var layout = "blocked"
    @Flag(help: "Instead: time single 3×3 convolutions, im2col+GEMM against Winograd F(2×2,3×3).")
    var convolutions = false
    @Flag(help: "Instead: time each layer kind at the model's shapes on OpenBLAS and oneDNN (the measurement behind --backend auto).")
    var layers = false
    @Option(help: "The machine's fp32 FMA peak in GFLOP/s (tools/bench/fma_peak_avx2.c), for the % of peak column.")
    var peak: Double?
    @Option(name: .customLong("stage-option"), help: .hidden)
    var flagOptions: [String] = []

    func makeJob() throws -> BenchJob {
        var job = BenchJob(input: input)
        guard layout == "blocked" || layout == "nchw" else { throw CLIError("--layout must be blocked or nchw, got '\(layout)'") }
        guard let kind = ModelKind.named(model) else { throw CLIError("--model: unknown model '\(model)' (known: \(ModelKind.namesForHelp))") }
        (job.frames, job.model, job.blockedLayout, job.peak) = (frames, kind, layout == "blocked", peak)
        job.options = try StageFlags.assignments(flagOptions)
        job.cacheDirectory = ToolEnvironment.cacheDirectory
        job.precisions = try StageFlags.list(precision, K.precision, flag: "precision").map(K.running)
        job.minSizes = try StageFlags.list(minSizes, K.minSize, flag: "min-sizes")
        job.proposals = try StageFlags.list(proposals, K.proposals, flag: "proposals")
        try job.check()
        return job
    }

    func validate() throws { try JobConsole.checked { _ = try makeJob() } }

    func run() throws {
        let job = try JobConsole.checked { try makeJob() }
        if layers { return job.layers { print($0) } }
        if convolutions { return job.convolutions { print($0) } }
        try JobConsole.checked { try job.run { print($0) } }
    }
}
