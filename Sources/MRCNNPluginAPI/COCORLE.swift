/// COCO run-length encoding of binary masks, byte-for-byte as pycocotools encodes it: runs over the image in
/// column-major (Fortran) order starting with a run of zeros, and the compressed `counts` string (5-bit groups,
/// deltas against the run two back from the fourth run on, offset by 48).
public enum COCORLE {
    /// Uncompressed runs of an image-sized mask given as a crop (`mask`) inside an image of `height`×`width`.
    public static func runs(_ mask: InstanceMask?, height: Int, width: Int) -> [Int] {
        var runs: [Int] = []
        var current: UInt8 = 0, length = 0
        for x in 0..<width {
            for y in 0..<height {
                var v: UInt8 = 0
                if let m = mask, x >= m.x, x < m.x + m.width, y >= m.y, y < m.y + m.height {
                    v = m.bits[(y - m.y) * m.width + (x - m.x)]
                }
                if v == current {
                    length += 1
                } else {
                    runs.append(length)
                    current = v
                    length = 1
                }
            }
        }
        runs.append(length)
        return runs
    }

    /// pycocotools' `rleToString`.
    public static func compress(_ runs: [Int]) -> String {
        var bytes: [UInt8] = []
        for i in runs.indices {
            var x = runs[i]
            if i > 2 { x -= runs[i - 2] }
            var more = true
            while more {
                var c = x & 0x1f
                x >>= 5
                more = (c & 0x10) != 0 ? x != -1 : x != 0
                if more { c |= 0x20 }
                bytes.append(UInt8(c + 48))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// pycocotools' `rleFrString`: the runs of a compressed `counts` string; nil when malformed.
    public static func decompress(_ s: String) -> [Int]? {
        let bytes = Array(s.utf8)
        var runs: [Int] = []
        var p = 0
        while p < bytes.count {
            var x = 0, k = 0, more = true
            while more {
                // 12 characters carry 60 bits: more cannot be a run of any image (and would overflow).
                guard p < bytes.count, bytes[p] >= 48, k < 12 else { return nil }
                let c = Int(bytes[p]) - 48
                x |= (c & 0x1f) << (5 * k)
                more = (c & 0x20) != 0
                p += 1
                k += 1
                if !more && (c & 0x10) != 0 { x |= -1 << (5 * k) }
            }
            if runs.count > 2 {
                let (sum, overflow) = x.addingReportingOverflow(runs[runs.count - 2])
                guard !overflow else { return nil }
                x = sum
            }
            runs.append(x)
        }
        return runs
    }

    /// The compressed RLE object `{"size": [h, w], "counts": "..."}` of a mask.
    public static func encode(_ mask: InstanceMask?, height: Int, width: Int) -> (size: [Int], counts: String) {
        ([height, width], compress(runs(mask, height: height, width: width)))
    }
}
