import Pipeline

/// A binary mask as column-major runs (COCO's scan order), kept per column of its crop: column `x0 + k` holds the
/// set pixels' half-open row intervals `[start, end)` in image rows. Intersections merge the runs of shared columns,
/// as pycocotools' `rleArea`/`rleIou` do, so cost grows with the number of runs, not pixels.
public struct RunLengthMask: Sendable, Equatable {
    /// Image column of the first stored column.
    public private(set) var x0: Int
    /// Per column, (start, end) row intervals in increasing order.
    public private(set) var columns: [[(start: Int, end: Int)]]
    /// Number of set pixels.
    public let area: Int

    /// Encodes a crop mask (bits row-major inside the crop at (x, y)).
    public init(_ mask: InstanceMask) {
        x0 = mask.x
        var columns: [[(start: Int, end: Int)]] = Array(repeating: [], count: max(0, mask.width))
        var area = 0
        if mask.bits.count >= mask.width * mask.height {
            for cx in 0..<mask.width {
                var start = -1
                for cy in 0..<mask.height {
                    let set = mask.bits[cy * mask.width + cx] != 0
                    if set, start < 0 { start = cy }
                    if !set, start >= 0 {
                        columns[cx].append((mask.y + start, mask.y + cy))
                        area += cy - start
                        start = -1
                    }
                }
                if start >= 0 {
                    columns[cx].append((mask.y + start, mask.y + mask.height))
                    area += mask.height - start
                }
            }
        }
        self.columns = columns
        self.area = area
    }

    /// The same mask moved by (dx, dy) pixels.
    public func shifted(dx: Int, dy: Int) -> RunLengthMask {
        var copy = self
        copy.x0 += dx
        if dy != 0 { copy.columns = columns.map { $0.map { ($0.start + dy, $0.end + dy) } } }
        return copy
    }

    /// Pixels set in both masks: a two-pointer merge of the runs of every shared column.
    public func intersectionArea(with other: RunLengthMask) -> Int {
        let lo = max(x0, other.x0), hi = min(x0 + columns.count, other.x0 + other.columns.count)
        guard lo < hi else { return 0 }
        var total = 0
        for x in lo..<hi {
            let a = columns[x - x0], b = other.columns[x - other.x0]
            var i = 0, j = 0
            while i < a.count, j < b.count {
                let s = max(a[i].start, b[j].start), e = min(a[i].end, b[j].end)
                if e > s { total += e - s }
                if a[i].end < b[j].end { i += 1 } else { j += 1 }
            }
        }
        return total
    }

    public static func == (l: RunLengthMask, r: RunLengthMask) -> Bool {
        l.x0 == r.x0 && l.area == r.area && l.columns.count == r.columns.count
            && zip(l.columns, r.columns).allSatisfy { a, b in
                a.count == b.count && zip(a, b).allSatisfy { $0.start == $1.start && $0.end == $1.end }
            }
    }
}
