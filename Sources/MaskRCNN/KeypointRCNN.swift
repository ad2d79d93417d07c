import Checkpoint
import Tensor

/// Keypoint R-CNN R50-FPN as torchvision 0.14 computes it (the official `keypointrcnn_resnet50_fpn_coco` layout):
/// its own Faster R-CNN with 2 classes (background, person) plus the keypoint branch. Immutable, thread-safe.
public final class KeypointRCNN: Sendable {
    public let detector: FasterRCNN
    let keypointPool = MultiScaleRoIAlign(outputSize: 14)
    let keypointHead: KeypointHead

    public var options: ModelOptions { detector.options }

    public init(stateDict: StateDict, options: ModelOptions = ModelOptions()) throws {
        let w = WeightSource(stateDict, engine: options.engine)
        detector = try FasterRCNN(w, numClasses: 2, options: options)
        keypointHead = try KeypointHead(w)
        try w.checkAllConsumed(model: "Keypoint R-CNN R50-FPN")
    }

    /// Keypoint head over the detections of all frames as one batch; fills each detection's 17 keypoints
    /// (original-image pixels).
    public func predictKeypoints(_ frames: [ImageFeatures], _ detections: inout [[Detection]], workspace: Workspace,
                                 trace: Tracer? = nil, timings: Timings? = nil) {
        let pooled = timings.measure("keypoint roi-align") {
            Tensor.concat(zip(frames, detections).map { f, d in keypointPool(f.pyramid, boxes: d.map(\.resizedBox)) })
        }
        guard pooled.n > 0 else { return }
        trace?("roi_heads.keypoint_roi_pool", pooled)
        let logits = timings.measure("keypoint head") { keypointHead(pooled, workspace, trace: trace) }
        trace?("roi_heads.keypoint_logits", logits)
        timings.measure("keypoint decode") {
            let side = logits.h, k = logits.c
            logits.data.withUnsafeBufferPointer { lp in
                var i = 0
                for (fi, f) in frames.enumerated() {
                    let (rh, rw) = f.ratios
                    for di in detections[fi].indices {
                        let kps = KeypointDecoder.decode(maps: lp.baseAddress! + i * k * side * side, count: k, side: side,
                                                         box: detections[fi][di].resizedBox)
                        detections[fi][di].keypoints = kps.map { DetectedKeypoint(x: $0.x * rw, y: $0.y * rh, score: $0.score) }
                        i += 1
                    }
                }
            }
        }
    }

    /// The whole model on one image: person detections with keypoints, in original-image pixels.
    public func callAsFunction(_ image: RGBInput, workspace: Workspace = Workspace(), trace: Tracer? = nil,
                               timings: Timings? = nil) -> [Detection] {
        let f = detector.features(image, workspace: workspace, trace: trace, timings: timings)
        var d = detector.detect([f], trace: trace, timings: timings)
        predictKeypoints([f], &d, workspace: workspace, trace: trace, timings: timings)
        return d[0]
    }
}
