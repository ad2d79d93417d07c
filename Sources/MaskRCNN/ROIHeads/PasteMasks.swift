import Tensor

/// A binary instance mask in original-image pixels: a width×height crop at (x, y), bits 0/1 row-major.
public struct BinaryMask: Sendable, Equatable {
    public let x: Int
    public let y: Int
    public let width: Int
    public let height: Int
    public let bits: [UInt8]

    public init(x: Int, y: Int, width: Int, height: Int, bits: [UInt8]) {
        self.x = x; self.y = y; self.width = width; self.height = height; self.bits = bits
    }

    /// Number of set pixels.
    public var area: Int { bits.reduce(0) { $0 + Int($1) } }
}

/// torchvision's paste_masks_in_image as a pure function: the M×M probability mask is zero-padded by one cell,
/// its box expanded by (M+2)/M and truncated to integers, bilinearly resized to the box, pasted into the image
/// and thresholded (prob > threshold). Only the pasted crop is computed.
public enum MaskPaster {
    public static func paste(probabilities m: [Float], size: Int, box: BoxF, imageH: Int, imageW: Int,
                             threshold: Float = 0.5) -> BinaryMask {
        let padded = size + 2
        var p = [Float](repeating: 0, count: padded * padded)
        for y in 0..<size { for x in 0..<size { p[(y + 1) * padded + x + 1] = m[y * size + x] } }
        let scale = Float(Double(padded) / Double(size))
        let wHalf = (box.x2 - box.x1) * 0.5 * scale
        let hHalf = (box.y2 - box.y1) * 0.5 * scale
        let xc = (box.x2 + box.x1) * 0.5
        let yc = (box.y2 + box.y1) * 0.5
        let bx0 = Int(xc - wHalf), by0 = Int(yc - hHalf), bx1 = Int(xc + wHalf), by1 = Int(yc + hHalf)
        let w = max(bx1 - bx0 + 1, 1), h = max(by1 - by0 + 1, 1)
        let x0 = max(bx0, 0), x1 = min(bx1 + 1, imageW)
        let y0 = max(by0, 0), y1 = min(by1 + 1, imageH)
        guard x1 > x0, y1 > y0 else { return BinaryMask(x: 0, y: 0, width: 0, height: 0, bits: []) }
        let ty = Resample.linearTaps(input: padded, output: h)
        let tx = Resample.linearTaps(input: padded, output: w)
        let cw = x1 - x0, ch = y1 - y0
        var bits = [UInt8](repeating: 0, count: cw * ch)
        for yy in 0..<ch {
            let a = ty[yy + y0 - by0]
            let r0 = a.i0 * padded, r1 = a.i1 * padded
            for xx in 0..<cw {
                let b = tx[xx + x0 - bx0]
                let top = b.l0 * p[r0 + b.i0] + b.l1 * p[r0 + b.i1]
                let bottom = b.l0 * p[r1 + b.i0] + b.l1 * p[r1 + b.i1]
                if a.l0 * top + a.l1 * bottom > threshold { bits[yy * cw + xx] = 1 }
            }
        }
        return BinaryMask(x: x0, y: y0, width: cw, height: ch, bits: bits)
    }
}
