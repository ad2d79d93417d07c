import Foundation
import JSONText
import Pipeline

/// COCO results JSON: an array of `COCOResult`s, keys sorted (as `json.dump(..., sort_keys=True)` writes them).
public enum COCOResults {
    /// The JSON text of `results`.
    public static func encode(_ results: [COCOResult]) -> String {
        let entries = results.map { r -> String in
            var fields: [(key: String, value: String)] = [("bbox", JSONText.array(r.bbox.map(JSONText.number)))]
            fields.append(("category", JSONText.string(COCOCategories.name(r.categoryID))))
            fields.append(("category_id", "\(r.categoryID)"))
            if let name = r.fileName { fields.append(("file_name", JSONText.string(name))) }
            fields.append(("image_id", "\(r.imageID)"))
            if let k = r.keypoints { fields.append(("keypoints", JSONText.array(k.map(JSONText.number)))) }
            fields.append(("score", JSONText.number(r.score)))
            if let seg = r.segmentation {
                fields.append(("segmentation", JSONText.object([("counts", JSONText.string(seg.counts)),
                                                                ("size", JSONText.array(seg.size.map(String.init)))])))
            }
            return JSONText.object(fields)
        }
        return JSONText.array(entries)
    }

    /// Writes `results` to `path` (`-`: standard output; `ResultsError.readerGone` when its reader went away).
    public static func write(_ results: [COCOResult], to path: String) throws {
        if LineFile.isStandardOutput(path) { return try LineFile(path: path).write(encode(results) + "\n") }
        do { try Data(encode(results).utf8).write(to: URL(fileURLWithPath: path)) } catch {
            throw ResultsError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    private struct Entry: Decodable {
        var image_id: Int
        var file_name: String?
        var category_id: Int
        var bbox: [Float]
        var score: Float
        var segmentation: Segmentation?
        var keypoints: [Float]?
        struct Segmentation: Decodable { var size: [Int]; var counts: String }
    }

    /// The results array in `data`; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String = "results") throws -> [COCOResult] {
        let entries: [Entry]
        do { entries = try JSONDecoder().decode([Entry].self, from: data) } catch {
            throw ResultsError.malformedCOCO(path: path, reason: "not a COCO results array (\(ResultsReader.describe(error)))")
        }
        return try entries.enumerated().map { i, e in
            guard e.bbox.count == 4 else { throw ResultsError.malformedCOCO(path: path, reason: "entry \(i): bbox must be 4 numbers") }
            if let seg = e.segmentation, seg.size.count != 2 || COCORLE.decompress(seg.counts) == nil {
                throw ResultsError.malformedCOCO(path: path, reason: "entry \(i): segmentation is not a compressed RLE")
            }
            var result = COCOResult(imageID: e.image_id, fileName: e.file_name, categoryID: e.category_id, bbox: e.bbox,
                                    score: e.score, segmentation: e.segmentation.map { ($0.size, $0.counts) })
            result.keypoints = e.keypoints
            return result
        }
    }

    /// Reads the results array at `path`.
    public static func load(path: String) throws -> [COCOResult] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ResultsError.cannotRead(path: path) }
        return try decode(data, path: path)
    }
}
