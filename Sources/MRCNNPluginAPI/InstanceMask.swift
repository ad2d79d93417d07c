/// Binary mask of one instance: a width×height crop placed at (x, y) in image pixels, bits 0/1 row-major.
public struct InstanceMask: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public var bits: [UInt8]

    public init(x: Int, y: Int, width: Int, height: Int, bits: [UInt8]) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.bits = bits
    }

    /// True when image pixel (px, py) is inside the crop and its bit is set.
    public func contains(px: Int, py: Int) -> Bool {
        let cx = px - x, cy = py - y
        guard cx >= 0, cy >= 0, cx < width, cy < height, cy * width + cx < bits.count else { return false }
        return bits[cy * width + cx] != 0
    }
}
