import Pipeline

/// Intersection over union of run-length-encoded masks — pure functions (boxes: `Box.iou`).
public enum Overlap {
    /// IoU of two run-length masks, computed on the runs alone (no pixel grid); 0 when both are empty.
    public static func maskIoU(_ a: RunLengthMask, _ b: RunLengthMask) -> Double {
        let inter = a.intersectionArea(with: b)
        let union = a.area + b.area - inter
        return union > 0 ? Double(inter) / Double(union) : 0
    }
}
