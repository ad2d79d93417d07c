import Foundation
import Pipeline

/// Reads `mrcnn run --json` files; any malformed line is a one-line error naming the file and line number.
/// Limits keep a hostile file from exhausting memory: a line of at most `maxLineBytes`, masks of at most
/// `maxMaskSide` pixels a side (the largest frame mrcnn decodes or encodes).
public enum ResultsReader {
    /// Longest accepted line (16 MiB: a 4K frame with 100 RLE masks is well under 2 MiB).
    public static let maxLineBytes = 16 << 20
    /// Largest accepted mask height or width (16384, as for video frames).
    public static let maxMaskSide = 16384

    private struct Line: Decodable {
        var frame: Int
        var pts: Int64
        var time: Double
        var width: Int?
        var height: Int?
        var instances: [Item]
    }

    private struct Item: Decodable {
        var bbox: [Float]
        var category_id: Int
        var score: Float
        var segmentation: Segmentation?
        var keypoints: [Float]?
        var keypoint_scores: [Float]?
        var track_id: Int?
    }

    private struct Segmentation: Decodable {
        var size: [Int]
        var counts: String
    }

    /// Every frame of the file at `path`, in file order (blank lines are skipped).
    public static func load(path: String) throws -> [ResultsFrame] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ResultsError.cannotRead(path: path)
        }
        return try parse(data, path: path)
    }

    /// Every frame of the JSON Lines `data` (errors name `path`); the fuzzed entry point.
    public static func parse(_ data: Data, path: String) throws -> [ResultsFrame] {
        var frames: [ResultsFrame] = []
        let decoder = JSONDecoder()
        var lineNumber = 0
        for slice in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard slice.count <= maxLineBytes else {
                throw ResultsError.malformedLine(path: path, line: lineNumber,
                                                 reason: "line of \(slice.count) bytes exceeds the limit of \(maxLineBytes) bytes")
            }
            let bytes = Data(slice)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                let line = try decoder.decode(Line.self, from: bytes)
                let maskSize = line.instances.lazy.compactMap(\.segmentation).first.map(\.size)
                frames.append(ResultsFrame(frame: line.frame, pts: line.pts, time: line.time,
                                           instances: try line.instances.enumerated().map { try instance($1, index: $0) },
                                           width: line.width ?? maskSize?.last, height: line.height ?? maskSize?.first))
            } catch let problem as LineProblem {
                throw ResultsError.malformedLine(path: path, line: lineNumber, reason: problem.reason)
            } catch {
                throw ResultsError.malformedLine(path: path, line: lineNumber, reason: "malformed results line (\(describe(error)))")
            }
        }
        return frames
    }

    private static func instance(_ item: Item, index: Int) throws -> Instance {
        let at = "instance \(index)"
        guard item.bbox.count == 4, item.bbox.allSatisfy(\.isFinite) else {
            throw LineProblem(reason: "\(at): bbox must be 4 numbers [x, y, w, h]")
        }
        let box = Box(x1: item.bbox[0], y1: item.bbox[1], x2: item.bbox[0] + item.bbox[2], y2: item.bbox[1] + item.bbox[3])
        var result = Instance(box: box, categoryID: item.category_id, score: item.score, trackID: item.track_id)
        if let seg = item.segmentation {
            guard seg.size.count == 2, (0...maxMaskSide).contains(seg.size[0]), (0...maxMaskSide).contains(seg.size[1]) else {
                throw LineProblem(reason: "\(at): segmentation size must be [height, width] of at most \(maxMaskSide) each")
            }
            guard let runs = COCORLE.decompress(seg.counts), runs.allSatisfy({ (0...(maxMaskSide * maxMaskSide)).contains($0) }),
                  runs.reduce(0, +) == seg.size[0] * seg.size[1] else {
                throw LineProblem(reason: "\(at): segmentation is not a valid compressed RLE of its size")
            }
            result.mask = crop(runs: runs, height: seg.size[0], width: seg.size[1])
        }
        if let flat = item.keypoints {
            guard flat.count % 3 == 0 else { throw LineProblem(reason: "\(at): keypoints must be [x, y, v] triples") }
            let scores = item.keypoint_scores ?? []
            result.keypoints = stride(from: 0, to: flat.count, by: 3).map { k in
                let score = scores.indices.contains(k / 3) ? scores[k / 3] : (flat[k + 2] >= 2 ? 1 : 0)
                return Keypoint(x: flat[k], y: flat[k + 1], score: score, visible: flat[k + 2] >= 2)
            }
        }
        return result
    }

    /// The mask of image-sized column-major `runs`, as a crop around its set pixels (0×0 when empty, so an empty
    /// mask stays a mask and is written back as one).
    public static func crop(runs: [Int], height: Int, width: Int) -> InstanceMask {
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        var position = 0
        for (k, run) in runs.enumerated() {
            if k % 2 == 1, run > 0 {
                let first = position, last = position + run - 1
                x0 = min(x0, first / height)
                x1 = max(x1, last / height)
                // A run spanning columns covers whole rows in between.
                if first / height != last / height {
                    y0 = 0
                    y1 = height - 1
                } else {
                    y0 = min(y0, first % height)
                    y1 = max(y1, last % height)
                }
            }
            position += run
        }
        guard x1 >= 0 else { return InstanceMask(x: 0, y: 0, width: 0, height: 0, bits: []) }
        let w = x1 - x0 + 1, h = y1 - y0 + 1
        var bits = [UInt8](repeating: 0, count: w * h)
        position = 0
        for (k, run) in runs.enumerated() {
            if k % 2 == 1 {
                for p in position..<(position + run) { bits[(p % height - y0) * w + (p / height - x0)] = 1 }
            }
            position += run
        }
        return InstanceMask(x: x0, y: y0, width: w, height: h, bits: bits)
    }

    /// A short, single-line reason for a decoding failure.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let at = path(context.codingPath + [key])
            return "missing '\(at)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(path(context.codingPath))'"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at '\(path(context.codingPath))'"
        default:
            return "not valid JSON"
        }
    }
}
