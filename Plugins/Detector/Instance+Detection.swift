import MaskRCNN
import Pipeline

extension Instance {
    /// The plugin-facing instance of a model detection: same box (x1y1x2y2 px), COCO label, score, pasted mask
    /// and keypoints (visible when the keypoint's score is above `visibleScore`).
    public init(_ d: Detection, visibleScore: Float = 2) {
        self.init(box: Box(x1: d.box.x1, y1: d.box.y1, x2: d.box.x2, y2: d.box.y2), categoryID: d.label, score: d.score,
                  mask: d.mask.map(InstanceMask.init),
                  keypoints: d.keypoints.map { $0.map { Keypoint(x: $0.x, y: $0.y, score: $0.score, visible: $0.score > visibleScore) } })
    }
}

extension InstanceMask {
    /// The same crop and bits as the model's pasted mask.
    public init(_ m: BinaryMask) { self.init(x: m.x, y: m.y, width: m.width, height: m.height, bits: m.bits) }
}
