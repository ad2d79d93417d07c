/// Turns packed RGB24 pictures upright: the clockwise quarter turns that a stream's display matrix asks for
/// (phone videos are stored sideways with a `rotate` tag). Pure functions, any thread.
public enum FrameRotation {
    /// The size of a width×height picture after turning it `degrees` (0, 90, 180, 270) clockwise.
    public static func rotatedSize(width: Int, height: Int, degrees: Int) -> (width: Int, height: Int) {
        degrees == 90 || degrees == 270 ? (height, width) : (width, height)
    }

    /// `rgb` (width×height, stride width·3) turned `degrees` clockwise; the same bytes for 0.
    public static func rotate(_ rgb: [UInt8], width: Int, height: Int, degrees: Int) -> [UInt8] {
        guard degrees == 90 || degrees == 180 || degrees == 270 else { return rgb }
        let (ow, oh) = rotatedSize(width: width, height: height, degrees: degrees)
        return [UInt8](unsafeUninitializedCapacity: rgb.count) { out, count in
            rgb.withUnsafeBufferPointer { src in
                for y in 0..<oh {
                    for x in 0..<ow {
                        // The source pixel shown at (x, y) after the turn.
                        let (sx, sy): (Int, Int)
                        switch degrees {
                        case 90: (sx, sy) = (y, height - 1 - x)
                        case 180: (sx, sy) = (width - 1 - x, height - 1 - y)
                        default: (sx, sy) = (width - 1 - y, x)
                        }
                        let s = (sy * width + sx) * 3, d = (y * ow + x) * 3
                        out[d] = src[s]
                        out[d + 1] = src[s + 1]
                        out[d + 2] = src[s + 2]
                    }
                }
            }
            count = rgb.count
        }
    }
}
