import Checkpoint
import Tensor

/// Post-training int8 calibration of a model (Mask/Faster R-CNN, or Keypoint R-CNN with its keypoint head): the fp32
/// model runs the calibration frames with an `ActivationObserver`, which keeps a histogram of every named
/// convolution's input; each input then gets the clipping threshold of the rule (min/max, percentile 99.999 / 99.99,
/// entropy) with the least quantization error on those values (`Int8Calibration.choosing`); a layer whose estimated
/// int8 error (input and weights) exceeds `Int8Calibration.fp32Limit` stays fp32. Frames run one at a time on the
/// calling thread.
public struct Int8Calibrator {
    public let kind: ModelKind
    /// The fp32 model's settings (its short side is the calibration's).
    public let options: ModelOptions
    /// The fp32 model with the observer, on one frame (detections discarded: the heads see what a run gives them).
    let run: (RGBInput, Workspace) -> Void
    let observer = ActivationObserver()
    /// Each weight's relative s8 quantization error, by layer (`Int8Calibration.weightError`).
    let weightErrors: [String: Double]
    /// Frames seen so far.
    public private(set) var frames = 0

    /// The fp32 model of `stateDict` (`kind`) with `options` (precision, calibration ignored) and an observer.
    public init(stateDict: StateDict, kind: ModelKind, options: ModelOptions) throws {
        var o = options
        o.precision = .fp32
        o.calibration = nil
        o.observer = observer
        if kind == .keypointRCNN {
            let model = try KeypointRCNN(stateDict: stateDict, options: o)
            run = { image, workspace in _ = model(image, workspace: workspace) }
        } else {
            let model = try MaskRCNN(stateDict: stateDict, kind: kind, options: o)
            run = { image, workspace in _ = model(image, workspace: workspace) }
        }
        (self.kind, self.options) = (kind, o)
        var errors: [String: Double] = [:]
        for name in stateDict.names where name.hasSuffix(".weight") {
            guard let t = stateDict[name], t.shape.count == 2 || t.shape.count == 4 else { continue }
            let layer = String(name.dropLast(".weight".count))
            errors[layer] = Int8Calibration.weightError(t.values, shape: t.shape, transposed: Int8Calibrator.transposed.contains(layer))
        }
        weightErrors = errors
    }

    /// Runs one calibration frame.
    public mutating func add(_ image: RGBInput, workspace: Workspace) {
        run(image, workspace)
        frames += 1
    }

    /// The calibration of what was seen, for the weights identified by `weights` (see `WeightsIdentity`).
    public func calibration(weights: String, rules: [CalibrationRule] = CalibrationRule.standard) -> Int8Calibration {
        Int8Calibration.measured(model: kind.rawValue, weights: weights, shortSide: options.minSize, frames: frames,
                                 histograms: observer.snapshot, rules: rules, weightErrors: weightErrors)
    }

    /// The transposed convolutions of the models ([Cin, Cout, k, k] weights).
    static let transposed: Set<String> = ["roi_heads.mask_predictor.conv5_mask", "roi_heads.keypoint_predictor.kps_score_lowres"]
}
