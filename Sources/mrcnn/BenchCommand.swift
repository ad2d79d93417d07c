import ArgumentParser
import Detector
import Foundation
import MaskRCNN
import Tensor
import VideoIO

/// `mrcnn bench`: per-component milliseconds and end-to-end frames/s of the model on frames of a clip, plus the
/// measured sgemm rate and the convolutions' share of it. Prints numbers; asserts nothing.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the model on frames of a clip: per-component ms, frames/s, GEMM efficiency.")

    @Option(help: "Clip to take frames from.")
    var input = "samples/vtest.mp4"

    @Option(help: "Number of frames to time (after one warm-up frame).")
    var frames = 5

    @Option(help: "Short sides to benchmark, comma-separated.")
    var minSizes = "800,480"

    @Option(help: "RPN proposals kept per frame to benchmark at each short side, comma-separated (torchvision: 1000).")
    var proposals = "1000"

    @Option(help: "Detector score threshold (which detections reach the mask head); `run` uses 0.5.")
    var scoreThreshold: Float = 0.05

    @Option(help: "Weights (see `detect`); a seeded model has the same cost as the real one.")
    var weights = "seeded:0"

    @Option(help: "Model of seeded weights: maskrcnn (= maskrcnn_resnet50_fpn), maskrcnn_resnet50_fpn_v2, fasterrcnn_resnet50_fpn, fasterrcnn_resnet50_fpn_v2 or keypointrcnn (= keypointrcnn_resnet50_fpn); a checkpoint file's own model is recognised by its tensors.")
    var model = "maskrcnn"

    @Option(help: "Keyframe mode: run the RPN on every N-th frame only (the previous frame's boxes scoring ≥ 0.5 are the proposals in between).")
    var detectEvery = 1

    @Flag(help: "Instead: time single 3×3 convolutions, im2col+GEMM against Winograd F(2×2,3×3).")
    var convolutions = false

    @Flag(help: "Instead: time each layer kind at the model's shapes on OpenBLAS and oneDNN (the measurement behind --backend auto).")
    var layers = false

    @Option(help: "The machine's fp32 FMA peak in GFLOP/s (tools/bench/fma_peak_avx2.c), for the % of peak column.")
    var peak: Double?

    @Option(help: "Compute backend: auto, openblas or onednn.")
    var backend = "auto"

    @Option(help: "Activation layout between oneDNN layers: blocked (chains in the kernels' layout) or nchw (reorders around every layer, the engine before blocked chains).")
    var layout = "blocked"

    @Option(help: "Precisions to benchmark, comma-separated: fp32, bf16, auto (bf16 where the CPU has bf16 units, else fp32), bf16-emulated.")
    var precision = "fp32"

    func run() throws {
        do { try bench() } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
    }

    /// 3×3 convolutions both ways (same weights, same input), twice each, alternating.
    private func convMicro() {
        for r in ConvolutionBenchmark.run() {
            print(String(format: "conv %d ch %dx%d n%d %@: %.1f ms (%.0f GFLOP/s direct-equivalent)",
                         r.channels, r.height, r.width, r.count, r.implementation, r.milliseconds, r.gflops))
        }
    }

    /// Per layer kind: both backends at the model's shapes (short side 480), alternating.
    private func layerBench(_ precisions: [Precision]) {
        print("CPU: \(CPUFeatures.current.summary); sgemm: \(GEMM.kernels); \(ComputePool.threads) threads")
        for p in precisions {
            print("\nprecision \(p.rawValue)")
            print("  kind          shape                          backend   impl                               ms   GFLOP/s")
            for r in LayerBenchmark.run(precision: p) {
                print("  " + r.kind.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0) + " "
                      + r.shape.padding(toLength: 30, withPad: " ", startingAt: 0) + " "
                      + r.backend.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                      + r.implementation.padding(toLength: 30, withPad: " ", startingAt: 0)
                      + String(format: "%9.2f %9.1f", r.milliseconds, r.gflops))
            }
        }
    }

    private func bench() throws {
        let precisions = try precision.split(separator: ",").map { s -> Precision in
            guard let p = Precision.named(String(s)) else { throw CLIError("--precision must be fp32, bf16, auto or bf16-emulated, got '\(s)'") }
            return p
        }
        guard let backendChoice = ComputeBackend(rawValue: backend) else {
            throw CLIError("--backend must be auto, openblas or onednn, got '\(backend)'")
        }
        guard layout == "blocked" || layout == "nchw" else { throw CLIError("--layout must be blocked or nchw, got '\(layout)'") }
        if layers { layerBench(precisions); return }
        if convolutions { convMicro(); return }
        guard frames >= 1 else { throw CLIError("--frames must be ≥ 1, got \(frames)") }
        guard detectEvery >= 1 else { throw CLIError("--detect-every must be ≥ 1, got \(detectEvery)") }
        let sides = minSizes.split(separator: ",").compactMap { Int($0) }
        guard !sides.isEmpty, sides.allSatisfy({ $0 >= 1 }) else { throw CLIError("--min-sizes must be short sides ≥ 1, e.g. 800,480") }
        let proposalCounts = proposals.split(separator: ",").compactMap { Int($0) }
        guard !proposalCounts.isEmpty, proposalCounts.allSatisfy({ $0 >= 1 }) else { throw CLIError("--proposals must be counts ≥ 1, e.g. 1000,300") }
        let source = try VideoSource(url: input)
        var images: [RGBInput] = []
        while images.count < frames + 1, let f = try source.nextFrame() {
            images.append(RGBInput(width: f.width, height: f.height, pixels: f.rgb))
        }
        guard let first = images.first else { throw CLIError("\(input): no frames") }
        guard images.count >= 2 else { throw CLIError("\(input): one frame only; bench needs a warm-up frame and a timed one") }
        guard let wanted = ["maskrcnn": ModelKind.maskRCNN, "keypointrcnn": .keypointRCNN][model] ?? ModelKind(rawValue: model) else {
            throw CLIError("--model must be maskrcnn, keypointrcnn or one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(model)'")
        }
        let (dict, kind, _) = try ModelLoader.load(option: weights, seededKind: wanted, cache: ToolEnvironment.cacheDirectory)
        let gemm = GEMM.measuredRate()
        print("CPU \(CPUFeatures.current.summary); sgemm \(GEMM.kernels), \(ComputePool.threads) threads; sgemm 1024×4096×2304: \(String(format: "%.1f", gemm)) GFLOP/s")
        print("clip \(input): \(first.width)×\(first.height), \(images.count - 1) timed frames (+1 warm-up)")
        print("model: \(kind.displayName) (torchvision's \(kind.rawValue))")
        let benchmark = ModelBenchmark(frames: images, stateDict: dict, kind: kind, detectEvery: detectEvery)
        var table: [(precision: Precision, side: Int, proposals: Int, ms: Double)] = []
        for precision in precisions {
            for minSize in sides {
                for proposalCount in proposalCounts {
                    var options = ModelOptions()
                    options.minSize = minSize
                    options.rpnPostNMSTopN = proposalCount
                    options.scoreThreshold = scoreThreshold
                    options.backend = backendChoice
                    options.precision = precision
                    options.blockedLayout = layout == "blocked"
                    print("\nengine: \(options.engine)")
                    let r = try benchmark.run(options: options)
                    table.append((precision, minSize, proposalCount, r.endToEndMilliseconds))
                    report(r, sgemm: gemm)
                }
            }
        }
        print("\nprecision × short side × proposals → ms/frame (end to end through the model, mask head included)")
        for row in table {
            print("  " + row.precision.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                  + String(format: "  %4d  %5d  %8.0f", row.side, row.proposals, row.ms))
        }
    }

    /// One (short side, proposals) block: sizes, per-component ms, end to end, GFLOP and GFLOP/s.
    private func report(_ r: ModelBenchmarkResult, sgemm gemm: Double) {
        print("\nshort side \(r.minSize), \(r.proposals) proposals: input \(r.inputSize.w)×\(r.inputSize.h) (padded \(r.paddedSize.w)×\(r.paddedSize.h)), \(r.detections) detections")
        print("  component            ms/frame")
        for c in r.components {
            print("  " + c.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%9.1f", c.millisecondsPerFrame))
        }
        print(String(format: "  end-to-end: %.0f ms/frame, %.2f frames/s", r.endToEndMilliseconds, r.framesPerSecond))
        if let bb = r.work(of: "backbone+fpn"), let rate = bb.gflopPerSecond {
            print(String(format: "  backbone+FPN: %.1f GFLOP, %.1f GFLOP/s = %.0f%% of measured sgemm", bb.gflop, rate, 100 * rate / gemm))
        }
        // Direct-convolution FLOPs of the heavy components per frame: backbone+FPN, the RPN head on P2–P6, the box
        // head on the proposals, the mask head on the detections.
        for w in r.work {
            guard let rate = w.gflopPerSecond else { continue }
            let pct = peak.map { String(format: ", %.0f%% of the %.0f GFLOP/s FMA peak", 100 * rate / $0, $0) } ?? ""
            print("  " + w.name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%7.1f GFLOP %7.1f GFLOP/s", w.gflop, rate) + pct)
        }
    }
}
