import Foundation
import Synchronization

/// The int8 scales of one model's convolutions: per layer (checkpoint name, e.g. "backbone.body.layer1.0.conv2") the
/// clipping threshold of its input, whether the input is signed (s8) or not (u8), and the rule that chose it; keyed by
/// the weights it was measured with (`weights`, their hash), the model and the short side of the frames. Written by
/// `mrcnn calibrate` as JSON; a value, any thread.
public struct Int8Calibration: Codable, Sendable, Equatable {
    /// One input's quantization: values in [−threshold, threshold] (or [0, threshold]) map to 127 (255) steps.
    public struct Input: Codable, Sendable, Equatable {
        public var threshold: Float
        public var signed: Bool
        /// The calibration rule that chose the threshold ("minmax", "p99.99", "entropy").
        public var rule: String
        /// Mean squared quantization error of the threshold on the calibration values.
        public var error: Double?
        /// The layer's estimated relative int8 error: its input's (√(error / mean x²)) and its s8 weights' combined
        /// as independent noise (see `Int8Calibration.measured`).
        public var estimatedError: Double?

        public init(threshold: Float, signed: Bool, rule: String, error: Double? = nil, estimatedError: Double? = nil) {
            self.threshold = threshold
            self.signed = signed
            self.rule = rule
            self.error = error
            self.estimatedError = estimatedError
        }

        /// The value of one quantization step.
        public var scale: Float { max(threshold, Float.leastNormalMagnitude) / (signed ? 127 : 255) }

        /// How a projection shortcut's output is stored for the residual sum of a block whose output is read with this
        /// input: s8 with the same threshold ([−threshold, threshold], 127 steps a side). The shortcut is not
        /// calibrated itself; the sum it joins is clipped at the threshold, and (seeded weights, a noise image) the
        /// four projections stayed within it while 0.004–0.4 % of their values exceeded half of it (the block
        /// output's own u8 step, as s8, would clip those).
        public var residual: Input { Input(threshold: threshold, signed: true, rule: "residual of \(rule)") }
    }

    public static let formatVersion = 1
    public var format = Int8Calibration.formatVersion
    public var model: String
    /// The weights' content hash (hex), as `WeightSource` reports it.
    public var weights: String
    public var shortSide: Int
    /// Frames the statistics were gathered on.
    public var frames: Int
    /// The layers that run int8, by checkpoint name.
    public var inputs: [String: Input]
    /// Layers measured but kept fp32: their estimated int8 error exceeds `fp32Limit` (absent in older files).
    public var fp32Layers: [String: Input]?

    public init(model: String, weights: String, shortSide: Int, frames: Int, inputs: [String: Input],
                fp32Layers: [String: Input]? = nil) {
        self.model = model
        self.weights = weights
        self.shortSide = shortSide
        self.frames = frames
        self.inputs = inputs
        self.fp32Layers = fp32Layers
    }

    /// A layer whose estimated relative int8 error exceeds this stays fp32: 3× the worst layer of seeded Mask R-CNN
    /// (0.6–2.5 % on samples/vtest.mp4 and samples/images, `mrcnn calibrate` prints the largest) — an input whose
    /// outliers leave few steps to the bulk of its values, or weight rows dominated by one value each.
    public static let fp32Limit = 0.08

    /// The calibration of `histograms` (the thresholds of `choosing`), each layer's error estimated with its weights'
    /// relative quantization error (`weightErrors`, see `weightError`); layers estimated above `fp32Limit` go to
    /// `fp32Layers`.
    public static func measured(model: String, weights: String, shortSide: Int, frames: Int,
                                histograms: [String: ActivationHistogram], rules: [CalibrationRule] = CalibrationRule.standard,
                                weightErrors: [String: Double]) -> Int8Calibration {
        var int8: [String: Input] = [:], fp32: [String: Input] = [:]
        for (name, var input) in choosing(from: histograms, rules: rules) {
            let meanSquare = histograms[name]!.meanSquare, w = weightErrors[name] ?? 0
            let x = meanSquare > 0 ? ((input.error ?? 0) / meanSquare).squareRoot() : 0
            input.estimatedError = (x * x + w * w).squareRoot()
            if input.estimatedError! > fp32Limit { fp32[name] = input } else { int8[name] = input }
        }
        return Int8Calibration(model: model, weights: weights, shortSide: shortSide, frames: frames, inputs: int8,
                               fp32Layers: fp32.isEmpty ? nil : fp32)
    }

    /// The relative error of weights `w` quantized symmetric s8 per output channel (step max|w| / 127, round to
    /// nearest even): √(mean over channels of ‖w − q·step‖² / ‖w‖²) — per channel, so batch-norm folding (a scale per
    /// output channel) leaves it unchanged. `shape` [Cout, …]; `transposed` [Cin, Cout, k, k] (a transposed
    /// convolution: a channel per output channel and kernel position).
    public static func weightError(_ w: [Float], shape: [Int], transposed: Bool = false) -> Double {
        guard shape.count >= 2, !w.isEmpty else { return 0 }
        let inner = transposed ? shape.dropFirst().reduce(1, *) : w.count / shape[0]
        let groups = transposed ? inner : shape[0], length = transposed ? shape[0] : inner
        var sum = 0.0, counted = 0
        for g in 0..<groups {
            @inline(__always) func at(_ i: Int) -> Float { transposed ? w[i * inner + g] : w[g * inner + i] }
            var top: Float = 0, norm = 0.0
            for i in 0..<length { top = max(top, abs(at(i))); norm += Double(at(i)) * Double(at(i)) }
            guard top > 0 else { continue }
            let step = top / 127
            var err = 0.0
            for i in 0..<length {
                let d = Double(at(i)) - Double((at(i) / step).rounded(.toNearestOrEven) * step)
                err += d * d
            }
            sum += err / norm
            counted += 1
        }
        return counted > 0 ? (sum / Double(counted)).squareRoot() : 0
    }

    public func input(of layer: String) -> Input? { inputs[layer] }

    /// The JSON form (keys sorted, one layer per line).
    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    public static func decoded(_ data: Data) throws -> Int8Calibration { try JSONDecoder().decode(Int8Calibration.self, from: data) }

    /// Each histogram's threshold by the rule (of `rules`) with the least quantization error.
    public static func choosing(from histograms: [String: ActivationHistogram], rules: [CalibrationRule] = CalibrationRule.standard)
        -> [String: Input] {
        histograms.mapValues { h in
            let scored = rules.map { rule -> (CalibrationRule, Float, Double) in
                let t = h.threshold(rule)
                return (rule, t, h.error(threshold: t))
            }
            let best = scored.min { $0.2 < $1.2 }!
            return Input(threshold: best.1, signed: h.signed, rule: best.0.description, error: best.2)
        }
    }
}

/// Gathers the histogram of every named convolution's input while a model runs on calibration frames (an engine
/// with an observer records at each `Conv2D` and named `Linear` call). Thread-safe.
public final class ActivationObserver: Sendable {
    private let histograms = Mutex<[String: ActivationHistogram]>([:])

    public init() {}

    func record(_ layer: String, _ x: FeatureMap) { record(layer, x.tensor()) }

    func record(_ layer: String, _ values: Tensor) {
        guard !layer.isEmpty else { return }
        histograms.withLock { all in
            values.data.withUnsafeBufferPointer { all[layer, default: ActivationHistogram()].add($0) }
        }
    }

    /// The histograms so far, by layer.
    public var snapshot: [String: ActivationHistogram] { histograms.withLock { $0 } }
}
