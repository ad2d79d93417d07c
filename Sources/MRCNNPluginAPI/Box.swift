/// Box in original-image pixels, x1y1x2y2 (torchvision convention, continuous coordinates).
public struct Box: Sendable, Equatable {
    public var x1: Float
    public var y1: Float
    public var x2: Float
    public var y2: Float

    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    public var width: Float { x2 - x1 }
    public var height: Float { y2 - y1 }
    /// Area, zero for degenerate boxes.
    public var area: Float { max(0, width) * max(0, height) }

    /// Intersection over union with `other`, in Double; 0 when they do not overlap or both are empty. (The model
    /// core's NMS keeps torchvision's own float32 formula, which parity depends on.)
    public func iou(_ other: Box) -> Double {
        let iw = Double(min(x2, other.x2) - max(x1, other.x1)), ih = Double(min(y2, other.y2) - max(y1, other.y1))
        guard iw > 0, ih > 0 else { return 0 }
        let inter = iw * ih
        let union = Double(area) + Double(other.area) - inter
        return union > 0 ? inter / union : 0
    }
}
