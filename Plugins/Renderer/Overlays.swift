import Pipeline

/// Float image coordinates → pixel indices without trapping on NaN, infinity or huge values.
@inlinable
func pixelIndex(_ value: Float, rounding rule: FloatingPointRoundingRule) -> Int? {
    guard value.isFinite else { return nil }
    return Int(min(max(value.rounded(rule), -1_000_000), 1_000_000))
}

/// Per-instance overlays (mask, box, label tab, keypoints), each clipped to the image.
extension RGBImage {
    /// Blends `color` with `alpha` into every set pixel of `mask`; pixels outside the mask stay untouched.
    public mutating func blendMask(_ mask: InstanceMask, color: RGBColor, alpha: Float) {
        let x0 = max(0, mask.x), y0 = max(0, mask.y)
        let x1 = min(width, mask.x + mask.width), y1 = min(height, mask.y + mask.height)
        guard x0 < x1, y0 < y1, mask.bits.count >= mask.width * mask.height else { return }
        let a = min(max(alpha, 0), 1)
        let w = width, mw = mask.width
        mask.bits.withUnsafeBufferPointer { bits in
            pixels.withUnsafeMutableBufferPointer { px in
                for y in y0..<y1 {
                    let maskRow = (y - mask.y) * mw - mask.x
                    for x in x0..<x1 where bits[maskRow + x] != 0 {
                        let o = (y * w + x) * 3
                        px[o] = Blend.mix(px[o], color.r, alpha: a)
                        px[o + 1] = Blend.mix(px[o + 1], color.g, alpha: a)
                        px[o + 2] = Blend.mix(px[o + 2], color.b, alpha: a)
                    }
                }
            }
        }
    }

    /// The pixel rectangle [x0, x1) × [y0, y1) a box covers: floor of the top-left, ceil of the bottom-right.
    public static func pixelRect(of box: Box) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        guard let x0 = pixelIndex(box.x1, rounding: .down), let y0 = pixelIndex(box.y1, rounding: .down),
              let x1 = pixelIndex(box.x2, rounding: .up), let y1 = pixelIndex(box.y2, rounding: .up),
              x0 < x1, y0 < y1 else { return nil }
        return (x0, y0, x1, y1)
    }

    /// Outlines `box` with an opaque border `thickness` px wide drawn just inside the box.
    public mutating func drawBox(_ box: Box, color: RGBColor, thickness: Int) {
        guard let r = Self.pixelRect(of: box) else { return }
        strokeRect(x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1, thickness: thickness, color: color)
    }

    /// Size in pixels of a label tab for `text` at `scale` (text plus `scale`·2 px padding on every side).
    public static func labelTabSize(_ text: String, scale: Int) -> (width: Int, height: Int) {
        let s = max(1, scale), pad = 2 * s
        return (BitmapFont.width(of: text, scale: s) + 2 * pad, BitmapFont.glyphHeight * s + 2 * pad)
    }

    /// Draws `text` on a filled tab of `color` sitting on top of `box`'s top-left corner
    /// (inside the box when there is no room above), shifted left to stay on the image.
    /// Returns the tab's rectangle [x0, x1) × [y0, y1).
    @discardableResult
    public mutating func drawLabel(_ text: String, box: Box, color: RGBColor, scale: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        guard !text.isEmpty, let r = Self.pixelRect(of: box) else { return nil }
        let s = max(1, scale), pad = 2 * s
        let size = Self.labelTabSize(text, scale: s)
        var x0 = max(0, r.x0)
        if x0 + size.width > width { x0 = max(0, width - size.width) }
        var y0 = r.y0 - size.height
        if y0 < 0 { y0 = max(0, r.y0) }
        let tab = (x0: x0, y0: y0, x1: x0 + size.width, y1: y0 + size.height)
        fillRect(x0: tab.x0, y0: tab.y0, x1: tab.x1, y1: tab.y1, color: color)
        drawText(text, x: x0 + pad, y: y0 + pad, scale: s, color: color.contrastingText)
        return tab
    }

    /// Draws the COCO skeleton between visible keypoints in `color`, then a dot on each visible keypoint.
    public mutating func drawKeypoints(_ keypoints: [Keypoint], color: RGBColor, lineThickness: Int, dotRadius: Int) {
        func point(_ i: Int) -> (Int, Int)? {
            guard keypoints.indices.contains(i), keypoints[i].visible,
                  let x = pixelIndex(keypoints[i].x, rounding: .down),
                  let y = pixelIndex(keypoints[i].y, rounding: .down) else { return nil }
            return (x, y)
        }
        for (a, b) in COCOKeypoints.skeleton {
            guard let p = point(a), let q = point(b) else { continue }
            drawLine(x0: p.0, y0: p.1, x1: q.0, y1: q.1, thickness: lineThickness, color: color)
        }
        let dot = color.mixed(with: .white, 0.5)
        for i in keypoints.indices {
            guard let p = point(i) else { continue }
            fillCircle(cx: p.0, cy: p.1, radius: dotRadius, color: dot)
        }
    }
}
