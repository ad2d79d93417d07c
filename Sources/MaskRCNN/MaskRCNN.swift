import Checkpoint
import Tensor

/// The detector the `detector` and `mask` stages share, built from whichever torchvision R50-FPN detection
/// checkpoint it is given (told by its tensors, `ModelKind`): Mask R-CNN v1 or v2 (the shared Faster R-CNN plus the
/// mask branch) or Faster R-CNN v1 or v2 (boxes only: `hasMasks` is false). Computes exactly what torchvision 0.14
/// computes at inference, on CPU. Immutable and thread-safe; each calling thread passes its own `Workspace`. RoIs
/// of several frames go through the heads as one batch.
public final class MaskRCNN: Sendable {
    public let detector: FasterRCNN
    /// Which checkpoint layout this model was built from.
    public let kind: ModelKind
    let maskPool = MultiScaleRoIAlign(outputSize: 14)
    let maskHead: MaskHead?

    public var options: ModelOptions { detector.options }
    /// False for Faster R-CNN checkpoints: `predictMasks` leaves the detections without masks.
    public var hasMasks: Bool { maskHead != nil }

    /// Builds the model from a torchvision state dict (current or pre-0.13 names), recognising Mask R-CNN v1/v2 and
    /// Faster R-CNN v1/v2 by their tensors; one-line error on a file of another model and on any missing,
    /// misshapen or unexpected tensor.
    public convenience init(stateDict: StateDict, options: ModelOptions = ModelOptions()) throws {
        guard let kind = ModelKind.of(stateDict) else { throw WeightError("checkpoint is \(ModelKind.describe(stateDict))") }
        try self.init(stateDict: stateDict, kind: kind, options: options)
    }

    /// Builds the model of `kind` (not `.keypointRCNN`: that is `KeypointRCNN`) from a state dict.
    public init(stateDict: StateDict, kind: ModelKind, options: ModelOptions = ModelOptions()) throws {
        guard kind != .keypointRCNN else {
            throw WeightError("checkpoint is a \(kind.displayName) (torchvision's \(kind.rawValue)): load it as KeypointRCNN")
        }
        let w = WeightSource(stateDict, engine: options.engine)
        self.kind = kind
        detector = try FasterRCNN(w, numClasses: 91, options: options, v2: kind.isV2)
        maskHead = kind.hasMasks ? try MaskHead(w, numClasses: 91, normalized: kind.isV2) : nil
        try w.checkAllConsumed(model: kind.displayName)
    }

    /// Transform, backbone, FPN and RPN for one frame (`minSize`, `proposals`: this frame's overrides, see `FasterRCNN`).
    public func features(_ image: RGBInput, workspace: Workspace, minSize: Int? = nil, proposals: Int? = nil,
                         trace: Tracer? = nil, timings: Timings? = nil) -> ImageFeatures {
        detector.features(image, workspace: workspace, minSize: minSize, proposals: proposals, trace: trace, timings: timings)
    }

    /// Box head over the proposals of all frames as one batch, then per-frame post-processing.
    public func detect(_ frames: [ImageFeatures], workspace: Workspace = Workspace(), trace: Tracer? = nil,
                       timings: Timings? = nil) -> [[Detection]] {
        detector.detect(frames, workspace: workspace, trace: trace, timings: timings)
    }

    /// Mask head over the detections of all frames as one batch; fills each detection's pasted mask. Does nothing
    /// for a Faster R-CNN (`hasMasks` false).
    public func predictMasks(_ frames: [ImageFeatures], _ detections: inout [[Detection]], workspace: Workspace,
                             trace: Tracer? = nil, timings: Timings? = nil) {
        guard let maskHead else { return }
        let pooled = timings.measure("mask roi-align") {
            Tensor.concat(zip(frames, detections).map { f, d in maskPool(f.pyramid, boxes: d.map(\.resizedBox)) })
        }
        guard pooled.n > 0 else { return }
        trace?("roi_heads.mask_roi_pool", pooled)
        let labels = detections.flatMap { $0.map(\.label) }
        let logits = timings.measure("mask head") { maskHead(pooled, labels: labels, workspace) }
        if let trace { trace("roi_heads.mask_logits", maskHead(pooled, labels: labels, allClasses: true, workspace)) }
        timings.measure("mask paste") { paste(logits, frames, &detections) }
    }

    private func paste(_ logits: Tensor, _ frames: [ImageFeatures], _ detections: inout [[Detection]]) {
        let probs = MaskProbabilities.sigmoid(logits)
        var i = 0
        for (fi, f) in frames.enumerated() {
            for di in detections[fi].indices {
                detections[fi][di].mask = MaskPaster.paste(
                    probabilities: probs[i], size: logits.h, box: detections[fi][di].box,
                    imageH: f.originalSize.h, imageW: f.originalSize.w, threshold: options.maskThreshold)
                i += 1
            }
        }
    }

    /// The whole model on one image: detections (with masks when the model has a mask branch), in original-image pixels.
    public func callAsFunction(_ image: RGBInput, workspace: Workspace = Workspace(), trace: Tracer? = nil,
                               timings: Timings? = nil) -> [Detection] {
        let f = features(image, workspace: workspace, trace: trace, timings: timings)
        var d = detect([f], workspace: workspace, trace: trace, timings: timings)
        predictMasks([f], &d, workspace: workspace, trace: trace, timings: timings)
        return d[0]
    }
}
