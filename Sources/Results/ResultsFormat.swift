import JSONText
import Pipeline

/// Text encodings of a frame's results (JSON Lines, MOTChallenge, MOTS); pure functions. Numbers are the shortest
/// decimals that read back as the same Float32, so a results file re-renders to the same pixels.
public enum ResultsFormat {
    /// One JSON Lines record: `frame`, `pts`, `time`, `settings` (only when a controller set them), `instances`
    /// (see docs/USAGE.md, "Results files").
    /// With `timing`, the frame's `FrameTiming` as `"timing": {"decode": ms, stage: ms, …, "encode": ms}`; with
    /// `stream` (a many-source run's combined file), `"stream": NAME` first.
    public static func jsonLine(_ record: FrameRecord, stream: String? = nil, timing: Bool = false) -> String {
        let height = record.image.height, width = record.image.width
        let instances = record.instances.map { instance -> String in
            let b = instance.box
            var fields: [(key: String, value: String)] = [
                ("bbox", JSONText.array([b.x1, b.y1, extent(b.x1, b.x2), extent(b.y1, b.y2)].map(JSONText.number))),
                ("category_id", "\(instance.categoryID)"),
                ("category", JSONText.string(COCOCategories.name(instance.categoryID))),
                ("score", JSONText.number(instance.score)),
            ]
            if let mask = instance.mask {
                fields.append(("segmentation", rle(COCORLE.encode(mask, height: height, width: width))))
            }
            if let keypoints = instance.keypoints {
                let triples = keypoints.map { "\(JSONText.number($0.x)),\(JSONText.number($0.y)),\($0.visible ? 2 : 1)" }
                fields.append(("keypoints", JSONText.array(triples)))
                fields.append(("keypoint_scores", JSONText.array(keypoints.map { JSONText.number($0.score) })))
            }
            // Always present (null until the tracker confirms a track), so every line has the same schema.
            fields.append(("track_id", instance.trackID.map { "\($0)" } ?? "null"))
            return JSONText.object(fields)
        }
        var fields: [(key: String, value: String)] = stream.map { [("stream", JSONText.string($0))] } ?? []
        fields += [("frame", "\(record.index)"), ("pts", "\(record.pts)"),
                                                      ("time", JSONText.number(record.time)),
                                                      ("width", "\(width)"), ("height", "\(height)")]
        if let settings = record.settings {
            fields.append(("settings", JSONText.object(settings.fields.map { f in
                (f.key, f.key == "precision" ? JSONText.string(f.value) : f.value)
            })))
        }
        if timing, !record.timing.parts.isEmpty {
            let parts = record.timing.parts
            fields.append(("timing", JSONText.object(parts.map { ($0.name, String(format: "%.3f", $0.ms)) })))
        }
        fields.append(("instances", JSONText.array(instances)))
        return JSONText.object(fields)
    }

    /// A compressed RLE as the JSON object `{"size":[h,w],"counts":"…"}`.
    static func rle(_ rle: (size: [Int], counts: String)) -> String {
        JSONText.object([("size", JSONText.array(rle.size.map(String.init))), ("counts", JSONText.string(rle.counts))])
    }

    /// MOTChallenge lines `frame,id,x,y,w,h,conf,-1,-1,-1` (1-based frame) for the tracked instances.
    public static func motLines(_ record: FrameRecord) -> [String] {
        record.instances.compactMap { instance in
            guard let id = instance.trackID else { return nil }
            let b = instance.box
            return String(format: "%d,%d,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1", record.index + 1, id,
                          Double(b.x1), Double(b.y1), Double(b.width), Double(b.height), Double(instance.score))
        }
    }

    /// MOTS class ids as the MOTS tools (KITTI MOTS, MOTSChallenge) define them: 1 car, 2 pedestrian (COCO person);
    /// any other COCO class c is written as 100 + c, outside the MOTS classes, so the MOTS evaluation skips it.
    public static func motsClass(cocoCategory c: Int) -> Int {
        switch c {
        case 3: return 1
        case 1: return 2
        default: return 100 + c
        }
    }

    /// MOTS lines `frame id class_id height width rle` (1-based frame, `motsClass` id, compressed RLE) for the
    /// tracked instances with masks. MOTS masks may not overlap: a pixel claimed by several instances goes to the
    /// highest-scoring one, and instances left with no pixel are skipped.
    public static func motsLines(_ record: FrameRecord) -> [String] {
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
            lines.append("\(record.index + 1) \(id) \(motsClass(cocoCategory: instance.categoryID)) \(height) \(width) \(rle.counts)")
        }
        return lines
    }

    /// The extent `hi − lo` as a Float that adds back to exactly `hi` (so x + w reproduces x2 bit for bit).
    public static func extent(_ lo: Float, _ hi: Float) -> Float {
        var w = hi - lo
        for _ in 0..<8 where lo + w != hi { w = lo + w < hi ? w.nextUp : w.nextDown }
        return w
    }
}
