import Pipeline

/// Box geometry in the tracker's measurement space: centre, width and height in pixels.
public struct BoxState: Sendable, Equatable {
    public var cx: Double
    public var cy: Double
    public var w: Double
    public var h: Double

    public init(cx: Double, cy: Double, w: Double, h: Double) {
        self.cx = cx
        self.cy = cy
        self.w = w
        self.h = h
    }

    /// The centre/size form of an x1y1x2y2 box.
    public init(_ box: Box) {
        self.init(cx: Double(box.x1 + box.x2) / 2, cy: Double(box.y1 + box.y2) / 2,
                  w: Double(box.width), h: Double(box.height))
    }

    /// Back to x1y1x2y2 (sizes clamped at zero).
    public var box: Box {
        let hw = max(0, w) / 2, hh = max(0, h) / 2
        return Box(x1: Float(cx - hw), y1: Float(cy - hh), x2: Float(cx + hw), y2: Float(cy + hh))
    }
}
