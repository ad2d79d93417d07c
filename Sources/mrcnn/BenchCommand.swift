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

    /// Times representative 3×3 layers both ways (same weights, same input), twice each, alternating.
    private func convMicro() {
        let ws = Workspace()
        for (c, h, w, n) in [(256, 200, 272, 1), (256, 50, 68, 1), (64, 200, 272, 1), (256, 14, 14, 100)] {
            let wt = (0..<(c * c * 9)).map { _ in Float.random(in: -0.05...0.05) }
            let x = Tensor(shape: [n, c, h, w], data: (0..<(n * c * h * w)).map { _ in Float.random(in: -1...1) })
            let a = Conv2D(weight: wt, bias: nil, outChannels: c, inChannels: c, kernel: 3, stride: 1, padding: 1, allowWinograd: false)
            let b = Conv2D(weight: wt, bias: nil, outChannels: c, inChannels: c, kernel: 3, stride: 1, padding: 1, allowWinograd: true)
            for (name, conv) in [("im2col", a), ("winograd", b), ("im2col", a), ("winograd", b)] {
                let t0 = Date()
                for _ in 0..<3 { _ = conv(x, workspace: ws) }
                let ms = Date().timeIntervalSince(t0) * 1000 / 3
                print(String(format: "conv %d ch %dx%d n%d %@: %.1f ms (%.0f GFLOP/s direct-equivalent)", c, h, w, n, name, ms, 2.0 * Double(c * c * 9 * h * w * n) / ms / 1e6))
            }
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
        let source = try VideoSource(url: input)
        var images: [RGBInput] = []
        while images.count < frames + 1, let f = try source.nextFrame() {
            images.append(RGBInput(width: f.width, height: f.height, pixels: f.rgb))
        }
        guard let first = images.first else { throw CLIError("\(input): no frames") }
        guard let wanted = ["maskrcnn": ModelKind.maskRCNN, "keypointrcnn": .keypointRCNN][model] ?? ModelKind(rawValue: model) else {
            throw CLIError("--model must be maskrcnn, keypointrcnn or one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(model)'")
        }
        let (dict, kind, _) = try ModelLoader.load(option: weights, seededKind: wanted)
        let keypoints = kind == .keypointRCNN
        let gemm = measureSGEMM()
        print("CPU \(CPUFeatures.current.summary); sgemm \(GEMM.kernels), \(ComputePool.threads) threads; sgemm 1024×4096×2304: \(String(format: "%.1f", gemm)) GFLOP/s")
        print("clip \(input): \(first.width)×\(first.height), \(images.count - 1) timed frames (+1 warm-up)")
        let proposalCounts = proposals.split(separator: ",").compactMap { Int($0) }
        guard !proposalCounts.isEmpty, proposalCounts.allSatisfy({ $0 >= 1 }) else { throw CLIError("--proposals must be counts ≥ 1, e.g. 1000,300") }
        print("model: \(kind.displayName) (torchvision's \(kind.rawValue))")
        var table: [(side: Int, proposals: Int, ms: Double)] = []
        for minSize in minSizes.split(separator: ",").compactMap({ Int($0) }) {
            for proposalCount in proposalCounts {
                var options = ModelOptions()
                options.minSize = minSize
                options.rpnPostNMSTopN = proposalCount
                options.scoreThreshold = scoreThreshold
                options.backend = backendChoice
                options.precision = precisions[0]
                options.blockedLayout = layout == "blocked"
                print("\nengine: \(options.engine)")
                let maskModel = keypoints ? nil : try MaskRCNN(stateDict: dict, kind: kind, options: options)
                let keypointModel = keypoints ? try KeypointRCNN(stateDict: dict, options: options) : nil
                let detector = maskModel?.detector ?? keypointModel!.detector
                let ws = Workspace()
                _ = maskModel?(images[0], workspace: ws)
                _ = keypointModel?(images[0], workspace: ws)
                let timings = Timings()
                let start = Date()
                var detections = 0
                var previous: [BoxF] = []
                for (i, img) in images.dropFirst().enumerated() {
                    // Keyframe mode: the RPN runs every N-th frame; otherwise the last boxes are the proposals.
                    let key = i % detectEvery == 0 || previous.isEmpty
                    let f = detector.features(img, workspace: ws, regions: key ? nil : previous, timings: timings)
                    var d = detector.detect([f], workspace: ws, timings: timings)
                    maskModel?.predictMasks([f], &d, workspace: ws, timings: timings)
                    keypointModel?.predictKeypoints([f], &d, workspace: ws, timings: timings)
                    previous = d[0].filter { $0.score >= 0.5 }.map(\.box)
                    detections += d[0].count
                }
                let wall = Date().timeIntervalSince(start)
                let n = Double(images.count - 1)
                let size = ImageTransform(minSize: minSize).resizedSize(h: first.height, w: first.width)
                let padded = ((size.h + 31) / 32 * 32, (size.w + 31) / 32 * 32)
                let gflop = BackboneFLOPs.resnet50FPN(h: padded.0, w: padded.1) / 1e9
                table.append((minSize, proposalCount, wall * 1000 / n))
                print("\nshort side \(minSize), \(proposalCount) proposals: input \(size.w)×\(size.h) (padded \(padded.1)×\(padded.0)), \(detections) detections")
                print("  component            ms/frame")
                for c in timings.order {
                    print("  " + c.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%9.1f", timings.milliseconds[c]! / n))
                }
                let bb = timings.milliseconds["backbone+fpn"]! / n
                print(String(format: "  end-to-end: %.0f ms/frame, %.2f frames/s", wall * 1000 / n, n / wall))
                print(String(format: "  backbone+FPN: %.1f GFLOP, %.1f GFLOP/s = %.0f%% of measured sgemm",
                             gflop, gflop / (bb / 1000), 100 * gflop / (bb / 1000) / gemm))
                // Direct-convolution FLOPs of the other heavy components (per frame): RPN head on P2–P6, box head on
                // the proposals, mask head on the detections.
                let perFrameDet = Double(detections) / n
                let levels = (2...6).map { l in Double((padded.0 >> l) * (padded.1 >> l)) }
                let rpnPerPixel: Double = 2 * (Double(kind.isV2 ? 2 : 1) * 256 * 256 * 9 + 256 * 15)
                let rpnGF: Double = levels.reduce(0) { $0 + $1 * rpnPerPixel } / 1e9
                // v1: fc6 + fc7; v2: four 3×3 convs on 7×7 maps + one FC; both: the predictor (91 + 364 outputs).
                let boxPerRoI: Double = kind.isV2 ? 2 * (4 * 256 * 256 * 9 * 49 + 12544 * 1024 + 1024 * 455)
                                                  : 2 * (12544 * 1024 + 1024 * 1024 + 1024 * 455)
                let boxGF: Double = Double(proposalCount) * boxPerRoI / 1e9
                let maskPerRoI: Double = 2 * (4 * 256 * 256 * 9 * 196 + 256 * 256 * 4 * 196 + 256 * 91 * 784)
                let maskGF: Double = perFrameDet * maskPerRoI / 1e9
                for (name, gf) in [("backbone+fpn", gflop), ("rpn", rpnGF), ("box head", boxGF), ("mask head", maskGF)] {
                    guard let ms = timings.milliseconds[name].map({ $0 / n }), ms > 0 else { continue }
                    let rate = gf / (ms / 1000)
                    let pct = peak.map { String(format: ", %.0f%% of the %.0f GFLOP/s FMA peak", 100 * rate / $0, $0) } ?? ""
                    print("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%7.1f GFLOP %7.1f GFLOP/s", gf, rate) + pct)
                }
            }
        }
        print("\nshort side × proposals → ms/frame (end to end through the model, mask head included)")
        for row in table { print(String(format: "  %4d  %5d  %8.0f", row.side, row.proposals, row.ms)) }
    }

    /// GFLOP/s of one large sgemm shaped like a backbone convolution.
    private func measureSGEMM() -> Double {
        let m = 1024, n = 4096, k = 2304
        let a = [Float](repeating: 0.01, count: m * k), b = [Float](repeating: 0.02, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for _ in 0..<3 {
            let t0 = Date()
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
            } } }
            best = min(best, Date().timeIntervalSince(t0))
        }
        return 2 * Double(m * n * k) / best / 1e9
    }
}

/// Multiply-add count (×2) of ResNet-50 + FPN convolutions for a padded input of h×w.
enum BackboneFLOPs {
    static func resnet50FPN(h: Int, w: Int) -> Double {
        var total = 0.0
        func conv(_ cin: Int, _ cout: Int, _ k: Int, _ oh: Int, _ ow: Int) { total += 2.0 * Double(cin * cout * k * k * oh * ow) }
        var hh = h / 2, ww = w / 2
        conv(3, 64, 7, hh, ww)
        hh /= 2; ww /= 2
        var inC = 64
        for (li, (blocks, width)) in [(3, 64), (4, 128), (6, 256), (3, 512)].enumerated() {
            for b in 0..<blocks {
                let s = (b == 0 && li > 0) ? 2 : 1
                conv(inC, width, 1, hh, ww)
                let oh = hh / s, ow = ww / s
                conv(width, width, 3, oh, ow)
                conv(width, width * 4, 1, oh, ow)
                if b == 0 { conv(inC, width * 4, 1, oh, ow) }
                hh = oh; ww = ow; inC = width * 4
            }
            let lh = h >> (li + 2), lw = w >> (li + 2)
            conv(inC, 256, 1, lh, lw)
            conv(256, 256, 3, lh, lw)
        }
        return total
    }
}
