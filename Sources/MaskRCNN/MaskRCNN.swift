import Checkpoint
import Tensor

/// Inference settings, with torchvision's defaults for `maskrcnn_resnet50_fpn`.
public struct ModelOptions: Sendable {
    public var minSize = 800
    public var maxSize = 1333
    public var rpnPreNMSTopN = 1000
    public var rpnPostNMSTopN = 1000
    public var rpnNMSThreshold: Float = 0.7
    public var scoreThreshold: Float = 0.05
    public var nmsThreshold: Float = 0.5
    public var detectionsPerImage = 100
    public var maskThreshold: Float = 0.5
    public init() {}
}

/// What the detector keeps of one frame for the heads: the transformed image's sizes, the FPN pyramid and the proposals.
public struct ImageFeatures: Sendable {
    public let originalSize: (h: Int, w: Int)
    public let resizedSize: (h: Int, w: Int)
    public let pyramid: [Tensor]
    public let proposals: [BoxF]
}

/// One final detection: box in original-image pixels (x1y1x2y2), score, COCO label, and the pasted mask once the
/// mask head ran. `resizedBox` is the box in the model's input coordinates (what the heads pool from).
public struct Detection: Sendable {
    public var box: BoxF
    public var score: Float
    public var label: Int
    public var resizedBox: BoxF
    public var mask: BinaryMask?
}

/// Mask R-CNN R50-FPN exactly as torchvision 0.14 computes it at inference, on CPU. Immutable and thread-safe;
/// each calling thread passes its own `Workspace`. RoIs of several frames go through the heads as one batch.
public final class MaskRCNN: Sendable {
    public let options: ModelOptions
    let transform: ImageTransform
    let backbone: ResNet50
    let fpn: FPN
    let rpn: RPN
    let boxPool = MultiScaleRoIAlign(outputSize: 7)
    let maskPool = MultiScaleRoIAlign(outputSize: 14)
    let boxHead: BoxHead
    let maskHead: MaskHead

    /// Builds the model from a torchvision state dict (current or pre-0.13 names); one-line error on any missing,
    /// misshapen or unexpected tensor.
    public init(stateDict: StateDict, options: ModelOptions = ModelOptions()) throws {
        let w = WeightSource(stateDict)
        self.options = options
        transform = ImageTransform(minSize: options.minSize, maxSize: options.maxSize)
        backbone = try ResNet50(w)
        fpn = try FPN(w)
        var rpn = try RPN(w)
        rpn.preNMSTopN = options.rpnPreNMSTopN
        rpn.postNMSTopN = options.rpnPostNMSTopN
        rpn.nmsThreshold = options.rpnNMSThreshold
        self.rpn = rpn
        boxHead = try BoxHead(w, numClasses: 91)
        maskHead = try MaskHead(w, numClasses: 91)
        if let extra = w.unexpectedNames().first {
            throw WeightError("unexpected tensor '\(extra)' in checkpoint (\(w.unexpectedNames().count) not used): not a Mask R-CNN R50-FPN checkpoint")
        }
    }

    /// Transform, backbone, FPN and RPN for one frame.
    public func features(_ image: RGBInput, workspace: Workspace, trace: Tracer? = nil, timings: Timings? = nil) -> ImageFeatures {
        let t = timings.measure("transform") { transform(image) }
        trace?("transform.images", t.tensor)
        let p = timings.measure("backbone+fpn") { fpn(backbone(t.tensor, workspace, trace: trace), workspace, trace: trace) }
        let (proposals, _) = timings.measure("rpn") { rpn(p, image: t, workspace, trace: trace) }
        trace?("rpn.proposals", Tensor(shape: [proposals.count, 4], data: proposals.flatMap { [$0.x1, $0.y1, $0.x2, $0.y2] }))
        return ImageFeatures(originalSize: t.originalSize, resizedSize: t.resizedSize, pyramid: p, proposals: proposals)
    }

    /// Box head over the proposals of all frames as one batch, then per-frame post-processing.
    public func detect(_ frames: [ImageFeatures], trace: Tracer? = nil, timings: Timings? = nil) -> [[Detection]] {
        let pooled = timings.measure("box roi-align") {
            Tensor.concat(frames.map { boxPool(Array($0.pyramid.prefix(4)), boxes: $0.proposals) })
        }
        trace?("roi_heads.box_roi_pool", pooled)
        let (logits, deltas) = timings.measure("box head") { boxHead(pooled) }
        trace?("roi_heads.class_logits", logits)
        trace?("roi_heads.box_regression", deltas)
        var offset = 0
        return timings.measure("box postprocess") { frames.map { f in
            let r = f.proposals.count
            defer { offset += r }
            let raw = BoxPostprocess.detections(
                logits: logits.slice(offset, offset + r), deltas: deltas.slice(offset, offset + r),
                proposals: f.proposals, imageH: f.resizedSize.h, imageW: f.resizedSize.w,
                scoreThreshold: options.scoreThreshold, nmsThreshold: options.nmsThreshold,
                maxDetections: options.detectionsPerImage)
            let rh = Float(f.originalSize.h) / Float(f.resizedSize.h)
            let rw = Float(f.originalSize.w) / Float(f.resizedSize.w)
            return raw.map { d in
                Detection(box: BoxF(d.box.x1 * rw, d.box.y1 * rh, d.box.x2 * rw, d.box.y2 * rh),
                          score: d.score, label: d.label, resizedBox: d.box, mask: nil)
            }
        } }
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
