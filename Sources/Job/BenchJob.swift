import Detector
import Foundation
import MaskRCNN
import Pipeline
import Tensor
import VideoIO

/// The model benchmark behind `mrcnn bench`: the first frames of a clip (one warm-up, then `frames` timed) through
/// the model at every precision × short side × proposals, with the detector's other options (`options`, checked
/// against its declarations), per-component milliseconds, end-to-end frames/s and GFLOP/s against the measured
/// sgemm rate (and `peak`); or, instead, each layer kind on both backends, or single 3×3 convolutions both ways.
/// Prints its lines through `print` as it measures; asserts nothing. A value you configure and `run`.
public struct BenchJob {
    public var input: String
    public var frames = 5
    /// Detector options as "detector.OPTION" → value, of `BenchJob.optionKeys`.
    public var options: [String: String] = [:]
    /// The model of seeded weights (a checkpoint's own is recognised by its tensors).
    public var model = ModelKind.maskRCNN
    public var cacheDirectory = ModelZoo.defaultCacheDirectory
    public var precisions: [Precision] = [.fp32]
    public var minSizes = [800, 480]
    public var proposals = [1000]
    /// Activations between oneDNN layers in the kernels' blocked layout (false: NCHW around every layer).
    public var blockedLayout = true
    /// The machine's fp32 FMA peak in GFLOP/s, for a % of peak column.
    public var peak: Double?

    /// The detector options a benchmark takes (the swept ones — short side, proposals, precision — are replaced
    /// at each point of the sweep).
    public static let optionKeys: [any StageOption] = [ModelOptionKeys.weights] + ModelOptionKeys.model + [ModelOptionKeys.detectEvery]

    public init(input: String) { self.input = input }

    /// The checked detector values; one-line errors for values out of range.
    @discardableResult
    public func check() throws -> OptionValues {
        guard frames >= 1 else { throw JobError.invalidSetting(name: "frames", value: "\(frames)", expected: "at least 1") }
        return try StageRegistry.values(of: "detector", declaring: Self.optionKeys, from: options)
    }


    /// The model benchmark.
    public func run(print: (String) -> Void) throws {
        let values = try check()
        let source = try VideoSource(url: input)
        var images: [RGBInput] = []
        while images.count < frames + 1, let f = try source.nextFrame() {
            images.append(RGBInput(width: f.width, height: f.height, pixels: f.rgb))
        }
        guard let first = images.first, images.count >= 2 else { throw JobError.tooFewFrames(input, found: images.count) }
        let (dict, kind, _) = try ModelLoader.load(option: try values[ModelOptionKeys.weights], seededKind: model, cache: cacheDirectory)
        let gemm = GEMM.measuredRate()
        print("CPU \(CPUFeatures.current.summary); sgemm \(GEMM.kernels), \(ComputePool.threads) threads; sgemm 1024×4096×2304: \(String(format: "%.1f", gemm)) GFLOP/s")
        print("clip \(input): \(first.width)×\(first.height), \(images.count - 1) timed frames (+1 warm-up)")
        print("model: \(kind.displayName) (torchvision's \(kind.rawValue))")
        let benchmark = ModelBenchmark(frames: images, stateDict: dict, kind: kind, detectEvery: try values[ModelOptionKeys.detectEvery])
        var table: [(precision: Precision, side: Int, proposals: Int, ms: Double)] = []
        for precision in precisions {
            for minSize in minSizes {
                for proposalCount in proposals {
                    var options = try ModelOptionKeys.modelOptions(values)
                    options.minSize = minSize
                    options.rpnPostNMSTopN = proposalCount
                    options.precision = precision
                    options.blockedLayout = blockedLayout
                    print("\nengine: \(options.engine)")
                    let r = try benchmark.run(options: options)
                    table.append((precision, minSize, proposalCount, r.endToEndMilliseconds))
                    report(r, sgemm: gemm).forEach(print)
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
    func report(_ r: ModelBenchmarkResult, sgemm gemm: Double) -> [String] {
        var lines = ["\nshort side \(r.minSize), \(r.proposals) proposals: input \(r.inputSize.w)×\(r.inputSize.h) (padded \(r.paddedSize.w)×\(r.paddedSize.h)), \(r.detections) detections",
                     "  component            ms/frame"]
        for c in r.components {
            lines.append("  " + c.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%9.1f", c.millisecondsPerFrame))
        }
        lines.append(String(format: "  end-to-end: %.0f ms/frame, %.2f frames/s", r.endToEndMilliseconds, r.framesPerSecond))
        if let bb = r.work(of: "backbone+fpn"), let rate = bb.gflopPerSecond {
            lines.append(String(format: "  backbone+FPN: %.1f GFLOP, %.1f GFLOP/s = %.0f%% of measured sgemm", bb.gflop, rate, 100 * rate / gemm))
        }
        // Direct-convolution FLOPs of the heavy components per frame: backbone+FPN, the RPN head on P2–P6, the box
        // head on the proposals, the mask head on the detections.
        for w in r.work {
            guard let rate = w.gflopPerSecond else { continue }
            let pct = peak.map { String(format: ", %.0f%% of the %.0f GFLOP/s FMA peak", 100 * rate / $0, $0) } ?? ""
            lines.append("  " + w.name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%7.1f GFLOP %7.1f GFLOP/s", w.gflop, rate) + pct)
        }
        return lines
    }

    /// Per layer kind: both backends at the model's shapes (short side 480), alternating, at each precision.
    public func layers(print: (String) -> Void) {
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

    /// 3×3 convolutions both ways (same weights, same input), twice each, alternating.
    public func convolutions(print: (String) -> Void) {
        for r in ConvolutionBenchmark.run() {
            print(String(format: "conv %d ch %dx%d n%d %@: %.1f ms (%.0f GFLOP/s direct-equivalent)",
                         r.channels, r.height, r.width, r.count, r.implementation, r.milliseconds, r.gflops))
        }
    }
}
