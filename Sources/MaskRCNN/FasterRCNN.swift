import Checkpoint
import Tensor

/// Inference settings, with torchvision's defaults for the R50-FPN detection models.
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
    /// Which library runs the convolutions and linear layers (`auto`: per layer kind, by measurement).
    public var backend: ComputeBackend = .auto
    /// fp32 (parity with torchvision), bf16 (AMX / AVX512-BF16; fp32 with a warning elsewhere) or bf16-emulated.
    public var precision: Precision = .fp32
    /// How `auto` picks each layer's kernel (measured on this CPU by default, see `KernelPolicy`).
    public var kernels: KernelPolicy = .measured
    /// Where measured kernel choices persist between processes (e.g. the model cache's `kernels` folder); nil: kept
    /// in this process only.
    public var kernelCacheDirectory: String?
    /// oneDNN layers keep activations in the kernels' layouts between them (see `ComputeEngine.blockedLayout`);
    /// off: NCHW between every two layers (the engine before blocked chains, for comparison).
    public var blockedLayout = true
    /// Compute threads (process-wide, applied when a model is built); nil: every online core.
    public var threads: Int?
    /// Forces the sgemm library (`auto`: the one `SGEMMKernels.chosen` verified).
    public var sgemm: ComputeBackend = .auto
    /// Winograd F(2×2,3×3) on the OpenBLAS backend's wide 3×3 layers (off: im2col), for comparisons.
    public var referenceWinograd = true
    /// Tiles per Winograd F(4×4,3×3) GEMM block.
    public var winogradTileBlock = 512
    /// The int8 scales (`precision` int8), measured by `Int8Calibrator` on these weights.
    public var calibration: Int8Calibration?
    /// Records every convolution's input (what `Int8Calibrator` runs the model with).
    public var observer: ActivationObserver?
    /// The emulated bf16's rounding draw (`BF16.Draw`; tests compare draws with the ideal's).
    public var bf16Draw: BF16.Draw = .exact
    public init() {}

    /// The compute engine these options describe.
    public var engine: ComputeEngine {
        ComputeEngine(backend: backend, precision: precision, kernels: kernels, blocked: blockedLayout, sgemm: sgemm,
                      referenceWinograd: referenceWinograd, winogradTileBlock: winogradTileBlock,
                      planCache: kernelCacheDirectory.map(KernelPlanCache.at), calibration: calibration, observer: observer,
                      bf16Draw: bf16Draw)
    }
}

/// What the detector keeps of one frame for the heads: the transformed image's sizes, the FPN levels P2…P5 as
/// channels-last fp32 tensors [1, H, W, 256] (what RoIAlign reads) and the proposals.
public struct ImageFeatures: Sendable {
    public let originalSize: (h: Int, w: Int)
    public let resizedSize: (h: Int, w: Int)
    public let pyramid: [Tensor]
    public let proposals: [BoxF]
}

/// One final detection: box in original-image pixels (x1y1x2y2), score, COCO label, and what the heads add (pasted
/// mask, 17 keypoints). `resizedBox` is the box in the model's input coordinates (what the heads pool from).
public struct Detection: Sendable {
    public var box: BoxF
    public var score: Float
    public var label: Int
    public var resizedBox: BoxF
    public var mask: BinaryMask?
    public var keypoints: [DetectedKeypoint]?
}

/// The Faster R-CNN part every torchvision R50-FPN detector shares (the paper's first stage plus the box branch):
/// transform, ResNet-50, FPN, RPN, MultiScaleRoIAlign 7×7, box head and its post-processing, in the v1 layout
/// (frozen BN, one RPN conv, two-FC box head) or the v2 one (BatchNorm in backbone and FPN, two RPN convs,
/// four-conv + FC box head). Anchors, RoIAlign and post-processing are the same code for both. Immutable, thread-safe.
public final class FasterRCNN: Sendable {
    public let options: ModelOptions
    public let numClasses: Int
    let transform: ImageTransform
    let backbone: ResNet50
    let fpn: FPN
    let rpn: RPN
    let boxPool = MultiScaleRoIAlign(outputSize: 7)
    let boxHead: BoxHead
    /// True for the v2 layout (`maskrcnn_resnet50_fpn_v2`, `fasterrcnn_resnet50_fpn_v2`).
    public let isV2: Bool

    init(_ w: WeightSource, numClasses: Int, options: ModelOptions, v2: Bool = false) throws {
        self.options = options
        self.numClasses = numClasses
        isV2 = v2
        if let threads = options.threads { ComputePool.limit(to: threads) }
        transform = ImageTransform(minSize: options.minSize, maxSize: options.maxSize)
        backbone = try ResNet50(w, eps: v2 ? BatchNormEps.v2 : BatchNormEps.v1)
        fpn = try FPN(w, normalized: v2)
        var rpn = try RPN(w, depth: v2 ? 2 : 1)
        rpn.preNMSTopN = options.rpnPreNMSTopN
        rpn.postNMSTopN = options.rpnPostNMSTopN
        rpn.nmsThreshold = options.rpnNMSThreshold
        self.rpn = rpn
        boxHead = try BoxHead(w, numClasses: numClasses, convFC: v2)
    }

    /// Transform, backbone, FPN and RPN for one frame. With `regions` (original-image boxes, e.g. the previous
    /// frame's detections) the RPN is skipped and those boxes become the proposals: the box head then regresses them
    /// onto the objects in this frame (tracking by regression, as in Tracktor) at a fraction of the cost.
    /// `minSize` and `proposals` override the options' short side and RPN post-NMS top-n for this frame only
    /// (a frame-rate controller changes them between frames; nothing is cached per size here).
    public func features(_ image: RGBInput, workspace: Workspace, regions: [BoxF]? = nil, minSize: Int? = nil,
                         proposals: Int? = nil, trace: Tracer? = nil, timings: Timings? = nil) -> ImageFeatures {
        let transform = minSize.map { ImageTransform(minSize: $0, maxSize: options.maxSize) } ?? self.transform
        var rpn = self.rpn
        if let proposals { rpn.postNMSTopN = proposals }
        let t = timings.measure("transform") { transform(image) }
        trace?("transform.images", t.tensor)
        let levels = timings.measure("backbone+fpn") { fpn(backbone(t.tensor, workspace, trace: trace), workspace, trace: trace) }
        let p = levels.prefix(4).map { $0.channelsLast() }
        if let regions {
            let rh = Float(t.originalSize.h) / Float(t.resizedSize.h), rw = Float(t.originalSize.w) / Float(t.resizedSize.w)
            let proposals = regions.map { b in
                BoxF(b.x1 / rw, b.y1 / rh, b.x2 / rw, b.y2 / rh).clipped(h: t.resizedSize.h, w: t.resizedSize.w)
            }.filter { $0.isAtLeast(1e-3) }
            return ImageFeatures(originalSize: t.originalSize, resizedSize: t.resizedSize, pyramid: p, proposals: proposals)
        }
        let (proposals, _) = timings.measure("rpn") { rpn(levels, image: t, workspace, trace: trace) }
        trace?("rpn.proposals", Tensor(shape: [proposals.count, 4], data: proposals.flatMap { [$0.x1, $0.y1, $0.x2, $0.y2] }))
        return ImageFeatures(originalSize: t.originalSize, resizedSize: t.resizedSize, pyramid: p, proposals: proposals)
    }

    /// Box head over the proposals of all frames as one batch, then per-frame post-processing. `workspace` is
    /// scratch for the v2 box head's convolutions (the calling thread's own).
    public func detect(_ frames: [ImageFeatures], workspace: Workspace = Workspace(), trace: Tracer? = nil,
                       timings: Timings? = nil) -> [[Detection]] {
        let pooled = timings.measure("box roi-align") {
            Tensor.concat(frames.map { boxPool($0.pyramid, boxes: $0.proposals) })
        }
        trace?("roi_heads.box_roi_pool", pooled)
        let (logits, deltas) = timings.measure("box head") { boxHead(pooled, workspace) }
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
            let (rh, rw) = f.ratios
            return raw.map { d in
                Detection(box: BoxF(d.box.x1 * rw, d.box.y1 * rh, d.box.x2 * rw, d.box.y2 * rh),
                          score: d.score, label: d.label, resizedBox: d.box, mask: nil, keypoints: nil)
            }
        } }
    }
}

extension ImageFeatures {
    /// original / resized, per axis, in float32 as torchvision's resize_boxes and resize_keypoints compute them.
    var ratios: (h: Float, w: Float) {
        (Float(originalSize.h) / Float(resizedSize.h), Float(originalSize.w) / Float(resizedSize.w))
    }
}
