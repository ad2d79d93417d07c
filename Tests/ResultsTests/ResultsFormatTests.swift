import Foundation
import JSONText
import Pipeline
import Results
import Testing

/// The results formats: JSON text escaping, JSON Lines written and read back, MOT lines, one-line errors.
@Suite("results formats")
struct ResultsFormatTests {
    static func record() -> FrameRecord {
        let mask = InstanceMask(x: 2, y: 1, width: 3, height: 2, bits: [1, 0, 1, 1, 1, 0])
        let keypoints = (0..<17).map { Keypoint(x: Float($0) + 0.25, y: 3.5, score: Float($0), visible: $0 % 2 == 0) }
        return FrameRecord(index: 4, pts: 4004, time: 0.4004, image: RGBImage(width: 8, height: 6), instances: [
            Instance(box: Box(x1: 1.1, y1: 0.3, x2: 5.7, y2: 4.9), categoryID: 1, score: 0.875, mask: mask,
                     keypoints: keypoints, trackID: 7),
            Instance(box: Box(x1: 0, y1: 0, x2: 2, y2: 2), categoryID: 3, score: 0.5),
        ])
    }

    @Test("JSON strings escape quotes, backslashes and control characters; non-finite numbers are null")
    func jsonText() {
        #expect(JSONText.string("a\"b\\c\nd\u{1}é") == #""a\"b\\c\nd\u0001é""#)
        #expect(JSONText.number(Float.nan) == "null" && JSONText.number(Double.infinity) == "null")
        #expect(JSONText.number(Float(0.1)) == "0.1")
        #expect(JSONText.object([("k", JSONText.array(["1", "2"]))]) == #"{"k":[1,2]}"#)
    }

    @Test("a JSON Lines file reads back to the same instances")
    func roundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("r.jsonl").path
        let writers = try ResultsWriters(ResultsPaths(json: path))
        try writers.write(Self.record())
        writers.close()
        let frames = try ResultsReader.load(path: path)
        #expect(frames.count == 1)
        let original = Self.record().instances, read = frames[0].instances
        #expect(frames[0].frame == 4 && frames[0].pts == 4004 && frames[0].time == 0.4004)
        #expect(frames[0].width == 8 && frames[0].height == 6)
        #expect(read.count == 2)
        #expect(read.map(\.box) == original.map(\.box), "x + w reproduces x2 bit for bit")
        #expect(read[0].mask == original[0].mask)
        #expect(read[0].keypoints == original[0].keypoints)
        #expect(read[0].trackID == 7 && read[1].trackID == nil && read[1].mask == nil)
    }

    @Test("MOT lines carry 1-based frames and only tracked instances")
    func motLines() {
        #expect(ResultsFormat.motLines(Self.record()) == ["5,7,1.10,0.30,4.60,4.60,0.8750,-1,-1,-1"])
        #expect(ResultsFormat.motsLines(Self.record()).count == 1)
        #expect(ResultsFormat.motsLines(Self.record())[0].hasPrefix("5 7 2 6 8 "), "COCO person is MOTS class 2 (pedestrian)")
    }

    @Test("MOTS class ids as the MOTS tools define them: 1 car, 2 pedestrian, others 100 + COCO id")
    func motsClasses() {
        #expect(ResultsFormat.motsClass(cocoCategory: 3) == 1)
        #expect(ResultsFormat.motsClass(cocoCategory: 1) == 2)
        #expect(ResultsFormat.motsClass(cocoCategory: 2) == 102 && ResultsFormat.motsClass(cocoCategory: 90) == 190)
        var record = Self.record()
        record.instances[0].categoryID = 3
        #expect(ResultsFormat.motsLines(record)[0].hasPrefix("5 7 1 6 8 "))
    }

    @Test("every JSON Lines instance has track_id (null until tracked) and every line the frame size")
    func stableSchema() throws {
        let line = ResultsFormat.jsonLine(Self.record())
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["width"] as? Int == 8 && object["height"] as? Int == 6)
        let instances = try #require(object["instances"] as? [[String: Any]])
        #expect(instances.allSatisfy { $0.keys.contains("track_id") })
        #expect(instances[0]["track_id"] as? Int == 7 && instances[1]["track_id"] is NSNull)
        #expect(line.contains(#""track_id":null"#))
    }

    @Test("detect's COCO entries and run's JSON Lines write the same numbers the same way")
    func sameNumbers() throws {
        let record = Self.record()
        let line = ResultsFormat.jsonLine(record)
        let coco = COCOResults.encode(record.instances.map {
            COCOResult(imageID: 1, fileName: nil, instance: $0, height: record.image.height, width: record.image.width)
        })
        for instance in record.instances {
            let b = instance.box
            let bbox = JSONText.array([b.x1, b.y1, ResultsFormat.extent(b.x1, b.x2), ResultsFormat.extent(b.y1, b.y2)].map(JSONText.number))
            #expect(line.contains(#""bbox":"# + bbox) && coco.contains(#""bbox":"# + bbox), "\(bbox)")
            let score = #""score":"# + JSONText.number(instance.score)
            #expect(line.contains(score) && coco.contains(score))
        }
    }

    @Test("limits: an over-long line and a mask size over 16384 are one-line errors")
    func limits() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let huge = #"{"frame":0,"pts":0,"time":0,"instances":[{"bbox":[1,2,3,4],"category_id":1,"score":0.5,"segmentation":{"size":[20000,20000],"counts":"0"}}]}"#
        try Data(huge.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ResultsError.malformedLine(path: path, line: 1, reason: "instance 0: segmentation size must be [height, width] of at most 16384 each")) {
            try ResultsReader.load(path: path)
        }
        // Runs whose sum overflows Int are malformed, not a crash.
        let overflow = #"{"frame":0,"pts":0,"time":0,"instances":[{"bbox":[1,2,3,4],"category_id":1,"score":0.5,"segmentation":{"size":[4,4],"counts":"0oooooooooo?0oooooooooo?0oooooooooo?"}}]}"#
        try Data(overflow.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ResultsError.self) { try ResultsReader.load(path: path) }
        try Data(repeating: 0x20, count: ResultsReader.maxLineBytes + 1).write(to: URL(fileURLWithPath: path))
        #expect(throws: ResultsError.malformedLine(path: path, line: 1,
                                                  reason: "line of \(ResultsReader.maxLineBytes + 1) bytes exceeds the limit of \(ResultsReader.maxLineBytes) bytes")) {
            try ResultsReader.load(path: path)
        }
    }

    @Test("a malformed line is one error naming the file and line")
    func malformed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((ResultsFormat.jsonLine(Self.record()) + "\n\n{\"frame\":1}\n").utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ResultsError.malformedLine(path: path, line: 3, reason: "malformed results line (missing 'pts')")) {
            try ResultsReader.load(path: path)
        }
    }
}
