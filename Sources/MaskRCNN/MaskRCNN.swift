import Checkpoint
import Tensor

/// Mask R-CNN R50-FPN exactly as torchvision 0.14 computes it at inference, on CPU: the shared Faster R-CNN plus
/// the mask branch. Immutable and thread-safe; each calling thread passes its own `Workspace`. RoIs of several
/// frames go through the heads as one batch.
public final class MaskRCNN: Sendable {
    public let detector: FasterRCNN
    let maskPool = MultiScaleRoIAlign(outputSize: 14)
    let maskHead: MaskHead

    public var options: ModelOptions { detector.options }

    /// Builds the model from a torchvision state dict (current or pre-0.13 names); one-line error on any missing,
    /// misshapen or unexpected tensor.
    public init(stateDict: StateDict, options: ModelOptions = ModelOptions()) throws {
        let w = WeightSource(stateDict, engine: options.engine)
        detector = try FasterRCNN(w, numClasses: 91, options: options)
        maskHead = try MaskHead(w, numClasses: 91)
        try w.checkAllConsumed(model: "Mask R-CNN R50-FPN")
    }

    /// Transform, backbone, FPN and RPN for one frame (`minSize`, `proposals`: this frame's overrides, see `FasterRCNN`).
    public func features(_ image: RGBInput, workspace: Workspace, minSize: Int? = nil, proposals: Int? = nil,
                         trace: Tracer? = nil, timings: Timings? = nil) -> ImageFeatures {
        detector.features(image, workspace: workspace, minSize: minSize, proposals: proposals, trace: trace, timings: timings)
    }

    /// Box head over the proposals of all frames as one batch, then per-frame post-processing.
    public func detect(_ frames: [ImageFeatures], trace: Tracer? = nil, timings: Timings? = nil) -> [[Detection]] {
        detector.detect(frames, trace: trace, timings: timings)
    }

    /// Mask head over the detections of all frames as one batch; fills each detection's pasted mask.
    public func predictMasks(_ frames: [ImageFeatures], _ detections: inout [[Detection]], workspace: Workspace,
                             trace: Tracer? = nil, timings: Timings? = nil) {
        let pooled = timings.measure("mask roi-align") {
            Tensor.concat(zip(frames, detections).map { f, d in maskPool(Array(f.pyramid.prefix(4)), boxes: d.map(\.resizedBox)) })
        }
        guard pooled.n > 0 else { return }
        trace?("roi_heads.mask_roi_pool", pooled)
        let logits = timings.measure("mask head") { maskHead(pooled, workspace) }
        trace?("roi_heads.mask_logits", logits)
        timings.measure("mask paste") { paste(logits, frames, &detections) }
    }

    private func paste(_ logits: Tensor, _ frames: [ImageFeatures], _ detections: inout [[Detection]]) {
        let probs = MaskProbabilities.select(logits: logits, labels: detections.flatMap { $0.map(\.label) })
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

    /// The whole model on one image: detections with masks, in original-image pixels.
    public func callAsFunction(_ image: RGBInput, workspace: Workspace = Workspace(), trace: Tracer? = nil,
                               timings: Timings? = nil) -> [Detection] {
        let f = features(image, workspace: workspace, trace: trace, timings: timings)
        var d = detect([f], trace: trace, timings: timings)
        predictMasks([f], &d, workspace: workspace, trace: trace, timings: timings)
        return d[0]
    }
}
