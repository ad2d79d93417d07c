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
        #expect(ResultsFormat.motsLines(Self.record())[0].hasPrefix("5 7 1 6 8 "))
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
