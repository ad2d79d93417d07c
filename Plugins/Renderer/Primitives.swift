import Pipeline

/// Clipped drawing primitives on packed RGB24 images; every point outside the image is skipped.
extension RGBImage {
    /// Blends `color` into pixel (x, y) with `alpha` (1 = opaque).
    @inlinable
    public mutating func blendPixel(x: Int, y: Int, color: RGBColor, alpha: Float) {
        guard contains(x: x, y: y) else { return }
        let o = offset(x: x, y: y)
        if alpha >= 1 {
            pixels[o] = color.r
            pixels[o + 1] = color.g
            pixels[o + 2] = color.b
        } else {
            pixels[o] = Blend.mix(pixels[o], color.r, alpha: alpha)
            pixels[o + 1] = Blend.mix(pixels[o + 1], color.g, alpha: alpha)
            pixels[o + 2] = Blend.mix(pixels[o + 2], color.b, alpha: alpha)
        }
    }

    /// Fills the half-open pixel rectangle [x0, x1) × [y0, y1), clipped to the image.
    public mutating func fillRect(x0: Int, y0: Int, x1: Int, y1: Int, color: RGBColor, alpha: Float = 1) {
        let cx0 = max(0, x0), cy0 = max(0, y0), cx1 = min(width, x1), cy1 = min(height, y1)
        guard cx0 < cx1, cy0 < cy1 else { return }
        for y in cy0..<cy1 {
            for x in cx0..<cx1 { blendPixel(x: x, y: y, color: color, alpha: alpha) }
        }
    }

    /// Outlines the half-open rectangle [x0, x1) × [y0, y1) with lines `thickness` px wide drawn inside it.
    public mutating func strokeRect(x0: Int, y0: Int, x1: Int, y1: Int, thickness: Int, color: RGBColor) {
        guard x0 < x1, y0 < y1, thickness > 0 else { return }
        let t = thickness
        fillRect(x0: x0, y0: y0, x1: x1, y1: min(y1, y0 + t), color: color)           // top
        fillRect(x0: x0, y0: max(y0, y1 - t), x1: x1, y1: y1, color: color)           // bottom
        fillRect(x0: x0, y0: y0, x1: min(x1, x0 + t), y1: y1, color: color)           // left
        fillRect(x0: max(x0, x1 - t), y0: y0, x1: x1, y1: y1, color: color)           // right
    }

    /// Fills a disc of `radius` px centred on pixel (cx, cy).
    public mutating func fillCircle(cx: Int, cy: Int, radius: Int, color: RGBColor) {
        guard radius >= 0 else { return }
        let r2 = radius * radius + radius // slightly rounder than r² for small radii
        for dy in -radius...radius {
            for dx in -radius...radius where dx * dx + dy * dy <= r2 {
                blendPixel(x: cx + dx, y: cy + dy, color: color, alpha: 1)
            }
        }
    }

    /// Draws a straight line between pixel centres (x0, y0) and (x1, y1), `thickness` px wide (square brush).
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, thickness: Int, color: RGBColor) {
        guard thickness > 0 else { return }
        // Skip lines wholly outside the image (plus brush) without walking them.
        let pad = thickness
        if max(x0, x1) < -pad || max(y0, y1) < -pad || min(x0, x1) >= width + pad || min(y0, y1) >= height + pad {
            return
        }
        let lo = -(thickness - 1) / 2, hi = thickness / 2
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            for oy in lo...hi {
                for ox in lo...hi { blendPixel(x: x + ox, y: y + oy, color: color, alpha: 1) }
            }
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Draws `text` with the built-in 5×7 font, top-left at (x, y), each font cell `scale`×`scale` px.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int, color: RGBColor) {
        let s = max(1, scale)
        var penX = x
        for character in text {
            for row in 0..<BitmapFont.glyphHeight {
                for column in 0..<BitmapFont.glyphWidth where BitmapFont.isInk(character, column: column, row: row) {
                    fillRect(x0: penX + column * s, y0: y + row * s, x1: penX + (column + 1) * s,
                             y1: y + (row + 1) * s, color: color)
                }
            }
            penX += BitmapFont.advance * s
        }
    }
}
