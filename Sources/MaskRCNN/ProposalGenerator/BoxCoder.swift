import Foundation

/// A box as x1, y1, x2, y2 (continuous pixel coordinates, torchvision convention).
public struct BoxF: Sendable, Equatable {
    public var x1: Float, y1: Float, x2: Float, y2: Float
    public init(_ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float) { self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2 }
    public var width: Float { x2 - x1 }
    public var height: Float { y2 - y1 }
    public var area: Float { (x2 - x1) * (y2 - y1) }

    /// clip_boxes_to_image: x into [0, w], y into [0, h].
    public func clipped(h: Int, w: Int) -> BoxF {
        let W = Float(w), H = Float(h)
        return BoxF(min(max(x1, 0), W), min(max(y1, 0), H), min(max(x2, 0), W), min(max(y2, 0), H))
    }

    /// remove_small_boxes: both sides at least `minSize`.
    public func isAtLeast(_ minSize: Float) -> Bool { width >= minSize && height >= minSize }
}

/// torchvision's BoxCoder.decode_single in float32: deltas (dx, dy, dw, dh) / weights applied to reference boxes,
/// dw and dh clamped at log(1000/16).
public struct BoxCoder: Sendable {
    public let weights: (Float, Float, Float, Float)
    public let clip: Float = Float(log(1000.0 / 16.0))

    public init(weights: (Float, Float, Float, Float)) { self.weights = weights }

    public func decode(_ d: (Float, Float, Float, Float), reference b: BoxF) -> BoxF {
        let widths = b.x2 - b.x1
        let heights = b.y2 - b.y1
        let ctrX = b.x1 + 0.5 * widths
        let ctrY = b.y1 + 0.5 * heights
        let dx = d.0 / weights.0, dy = d.1 / weights.1
        let dw = min(d.2 / weights.2, clip), dh = min(d.3 / weights.3, clip)
        let predCtrX = dx * widths + ctrX
        let predCtrY = dy * heights + ctrY
        let predW = expf(dw) * widths
        let predH = expf(dh) * heights
        let cw = 0.5 * predW, ch = 0.5 * predH
        return BoxF(predCtrX - cw, predCtrY - ch, predCtrX + cw, predCtrY + ch)
    }
}
