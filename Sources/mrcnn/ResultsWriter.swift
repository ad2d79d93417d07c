import Foundation
import Pipeline

/// The results files of one `run` (JSON Lines, MOTChallenge, MOTS), written frame by frame next to the video sink.
/// Each frame's lines go to the file in one `write(2)`, so after Ctrl-C (or a crash) the files hold every frame
/// that reached the sink.
final class ResultsWriters {
    private var json: LineFile?
    private var mot: LineFile?
    private var mots: LineFile?

    init(json: String?, mot: String?, mots: String?) throws {
        self.json = try json.map { try LineFile(path: $0) }
        self.mot = try mot.map { try LineFile(path: $0) }
        self.mots = try mots.map { try LineFile(path: $0) }
    }

    var isEmpty: Bool { json == nil && mot == nil && mots == nil }

    /// Appends `record`'s results to every open file.
    func write(_ record: FrameRecord) throws {
        try json?.write(ResultsFormat.jsonLine(record) + "\n")
        if let mot {
            let lines = ResultsFormat.motLines(record)
            if !lines.isEmpty { try mot.write(lines.joined(separator: "\n") + "\n") }
        }
        if let mots {
            let lines = ResultsFormat.motsLines(record)
            if !lines.isEmpty { try mots.write(lines.joined(separator: "\n") + "\n") }
        }
    }

    /// Closes the files (idempotent).
    func close() {
        json?.close()
        mot?.close()
        mots?.close()
        json = nil
        mot = nil
        mots = nil
    }
}

/// An output text file written with unbuffered appends.
final class LineFile {
    let path: String
    private let handle: FileHandle

    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError("cannot write \(path): could not create the file")
        }
        self.handle = handle
    }

    func write(_ text: String) throws {
        do { try handle.write(contentsOf: Data(text.utf8)) } catch {
            throw CLIError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    func close() { try? handle.close() }
}

/// Text encodings of a frame's results; pure functions. Numbers are the shortest decimals that read back as the
/// same Float32, so a results file re-renders to the same pixels.
enum ResultsFormat {
    /// One JSON Lines record: `frame`, `pts`, `time`, `instances` (see README, "Results files").
    static func jsonLine(_ record: FrameRecord) -> String {
        let height = record.image.height, width = record.image.width
        let instances = record.instances.map { instance -> String in
            let b = instance.box
            var fields = [
                "\"bbox\":[\(number(b.x1)),\(number(b.y1)),\(number(extent(b.x1, b.x2))),\(number(extent(b.y1, b.y2)))]",
                "\"category_id\":\(instance.categoryID)",
                "\"category\":\(string(COCOCategories.name(instance.categoryID)))",
                "\"score\":\(number(instance.score))",
            ]
            if let mask = instance.mask {
                let rle = COCORLE.encode(mask, height: height, width: width)
                fields.append("\"segmentation\":{\"size\":[\(rle.size[0]),\(rle.size[1])],\"counts\":\(string(rle.counts))}")
            }
            if let keypoints = instance.keypoints {
                let triples = keypoints.map { "\(number($0.x)),\(number($0.y)),\($0.visible ? 2 : 1)" }
                fields.append("\"keypoints\":[\(triples.joined(separator: ","))]")
                fields.append("\"keypoint_scores\":[\(keypoints.map { number($0.score) }.joined(separator: ","))]")
            }
            if let id = instance.trackID { fields.append("\"track_id\":\(id)") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"frame\":\(record.index),\"pts\":\(record.pts),\"time\":\(number(record.time)),"
            + "\"instances\":[\(instances.joined(separator: ","))]}"
    }

    /// MOTChallenge lines `frame,id,x,y,w,h,conf,-1,-1,-1` (1-based frame) for the tracked instances.
    static func motLines(_ record: FrameRecord) -> [String] {
        record.instances.compactMap { instance in
            guard let id = instance.trackID else { return nil }
            let b = instance.box
            return String(format: "%d,%d,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1", record.index + 1, id,
                          Double(b.x1), Double(b.y1), Double(b.width), Double(b.height), Double(instance.score))
        }
    }

    /// MOTS lines `frame id class_id height width rle` (1-based frame, COCO category id, compressed RLE) for the
    /// tracked instances with masks. MOTS masks may not overlap: a pixel claimed by several instances goes to the
    /// highest-scoring one, and instances left with no pixel are skipped.
    static func motsLines(_ record: FrameRecord) -> [String] {
        let height = record.image.height, width = record.image.width
        let tracked = record.instances.filter { $0.trackID != nil && $0.mask != nil }.sorted { $0.score > $1.score }
        guard !tracked.isEmpty else { return [] }
        var claimed = [UInt8](repeating: 0, count: height * width)
        var lines: [String] = []
        for instance in tracked {
            guard let mask = instance.mask, let id = instance.trackID else { continue }
            let x0 = max(0, mask.x), x1 = min(width, mask.x + mask.width)
            let y0 = max(0, mask.y), y1 = min(height, mask.y + mask.height)
            guard x0 < x1, y0 < y1, mask.bits.count >= mask.width * mask.height else { continue }
            var bits = [UInt8](repeating: 0, count: height * width)
            var any = false
            for y in y0..<y1 {
                for x in x0..<x1
                where mask.bits[(y - mask.y) * mask.width + (x - mask.x)] != 0 && claimed[y * width + x] == 0 {
                    bits[y * width + x] = 1
                    claimed[y * width + x] = 1
                    any = true
                }
            }
            guard any else { continue }
            let rle = COCORLE.encode(InstanceMask(x: 0, y: 0, width: width, height: height, bits: bits),
                                     height: height, width: width)
            lines.append("\(record.index + 1) \(id) \(instance.categoryID) \(height) \(width) \(rle.counts)")
        }
        return lines
    }

    /// The extent `hi − lo` as a Float that adds back to exactly `hi` (so x + w reproduces x2 bit for bit).
    static func extent(_ lo: Float, _ hi: Float) -> Float {
        var w = hi - lo
        for _ in 0..<8 where lo + w != hi { w = lo + w < hi ? w.nextUp : w.nextDown }
        return w
    }

    /// Shortest round-tripping decimal; JSON has no NaN or infinity, so those become `null`.
    static func number(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }

    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
