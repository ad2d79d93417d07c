/// Packed RGB24 image, row-major, stride width*3; `pixels.count == width * height * 3`.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    /// Wraps existing packed RGB24 pixels (the caller guarantees `pixels.count == width * height * 3`).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A `width`×`height` image filled with one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        self.width = max(0, width)
        self.height = max(0, height)
        var pixels = [UInt8](repeating: 0, count: self.width * self.height * 3)
        if fill != (0, 0, 0) {
            for i in stride(from: 0, to: pixels.count, by: 3) {
                pixels[i] = fill.0
                pixels[i + 1] = fill.1
                pixels[i + 2] = fill.2
            }
        }
        self.pixels = pixels
    }

    /// Byte offset of pixel (x, y); the caller checks bounds.
    @inlinable public func offset(x: Int, y: Int) -> Int { (y * width + x) * 3 }

    /// True when (x, y) lies inside the image.
    @inlinable public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// The pixel at (x, y) as (r, g, b), or nil outside the image.
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8)? {
        guard contains(x: x, y: y) else { return nil }
        let o = offset(x: x, y: y)
        return (pixels[o], pixels[o + 1], pixels[o + 2])
    }

    /// Sets the pixel at (x, y); points outside the image are ignored.
    public mutating func setPixel(x: Int, y: Int, _ rgb: (UInt8, UInt8, UInt8)) {
        guard contains(x: x, y: y) else { return }
        let o = offset(x: x, y: y)
        pixels[o] = rgb.0
        pixels[o + 1] = rgb.1
        pixels[o + 2] = rgb.2
    }
}
