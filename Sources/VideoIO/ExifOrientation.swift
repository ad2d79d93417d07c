import Foundation

/// The EXIF orientation of a still (TIFF tag 0x0112, values 1–8) and the turn that makes the picture upright, as
/// PIL's `ImageOps.exif_transpose` (detectron2's `read_image`) and OpenCV's `imread` apply it. Pure functions on
/// packed RGB24; any thread.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case upright = 1, mirrored = 2, rotated180 = 3, flippedVertically = 4
    case transposed = 5, rotated90 = 6, transversed = 7, rotated270 = 8

    /// The orientation a JPEG file declares in its EXIF (APP1) segment, nil when it declares none (or a value
    /// outside 1–8). Reads only the marker segments before the first scan; never traps on damaged bytes.
    public static func of(jpeg bytes: Data) -> ExifOrientation? {
        let b = [UInt8](bytes.prefix(256 * 1024))
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        while i + 4 <= b.count, b[i] == 0xFF {
            let marker = b[i + 1]
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 || marker == 0xFF { i += marker == 0xFF ? 1 : 2; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }   // start of scan / end of image: no EXIF before it
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return nil }
            if marker == 0xE1, length >= 8, Array(b[(i + 4)..<(i + 10)]) == Array("Exif\0\0".utf8) {
                return orientation(tiff: Array(b[(i + 10)..<(i + 2 + length)]))
            }
            i += 2 + length
        }
        return nil
    }

    /// The orientation tag of IFD0 in a TIFF structure (the body of an EXIF segment).
    static func orientation(tiff t: [UInt8]) -> ExifOrientation? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let lo = u16(little ? o : o + 2), let hi = u16(little ? o + 2 : o) else { return nil }
            return hi << 16 | lo
        }
        guard let ifd = u32(4), let count = u16(ifd) else { return nil }
        for k in 0..<min(count, 512) {
            let entry = ifd + 2 + 12 * k
            guard let tag = u16(entry), let type = u16(entry + 2) else { return nil }
            if tag == 0x0112 {
                guard type == 3, let value = u16(entry + 8) else { return nil }   // SHORT, stored in the value field
                return ExifOrientation(rawValue: value)
            }
        }
        return nil
    }

    /// Whether the upright picture swaps width and height.
    public var swapsSides: Bool { rawValue >= 5 }

    /// The upright picture of a stored `width`×`height` RGB24 picture: (upright width, upright height, pixels).
    public func upright(width w: Int, height h: Int, rgb: [UInt8]) -> (width: Int, height: Int, rgb: [UInt8]) {
        if self == .upright { return (w, h, rgb) }
        let (ow, oh) = swapsSides ? (h, w) : (w, h)
        // For each output pixel (x, y), the stored pixel it comes from.
        let source: (Int, Int) -> (Int, Int)
        switch self {
        case .upright: source = { x, y in (x, y) }
        case .mirrored: source = { x, y in (w - 1 - x, y) }
        case .rotated180: source = { x, y in (w - 1 - x, h - 1 - y) }
        case .flippedVertically: source = { x, y in (x, h - 1 - y) }
        case .transposed: source = { x, y in (y, x) }
        case .rotated90: source = { x, y in (y, h - 1 - x) }
        case .transversed: source = { x, y in (w - 1 - y, h - 1 - x) }
        case .rotated270: source = { x, y in (w - 1 - y, x) }
        }
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sx, sy) = source(x, y)
                        let s = (sy * w + sx) * 3, d = (y * ow + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return (ow, oh, out)
    }
}
