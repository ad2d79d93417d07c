import Foundation
import Pipeline
import Results
import Testing

/// COCO results arrays: written with sorted keys, read back equal; replay puts saved instances back by timestamp.
@Suite("COCO results and replay")
struct COCOResultsTests {
    @Test("COCO results round-trip and keep pycocotools' field names")
    func roundTrip() throws {
        let record = ResultsFormatTests.record()
        let results = record.instances.map {
            COCOResult(imageID: 3, fileName: "a \"b\".png", instance: $0, height: 6, width: 8)
        }
        let text = COCOResults.encode(results)
        #expect(text.hasPrefix(#"[{"bbox":["#) && text.contains(#""image_id":3"#) && text.contains(#""category":"person""#))
        let back = try COCOResults.decode(Data(text.utf8))
        #expect(back == results)
        #expect(back[1].segmentation?.size == [6, 8], "an instance without mask gets an empty RLE")
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        #expect(object?.count == 2)
    }

    @Test("a COCO file that is not an array is one error")
    func malformed() {
        #expect(throws: ResultsError.self) { try COCOResults.decode(Data("{}".utf8), path: "x.json") }
    }

    @Test("replay matches frames by pts, else by nearest time, and filters classes")
    func replay() throws {
        var saved = ResultsFormatTests.record()
        let frames = [ResultsFrame(frame: 0, pts: 0, time: 0, instances: saved.instances),
                      ResultsFrame(frame: 1, pts: 100, time: 0.1, instances: saved.instances)]
        let stage = ReplayStage(frames: frames, classes: [3])
        saved.instances = []
        var batch = [FrameRecord(index: 0, pts: 0, time: 0, image: RGBImage(width: 8, height: 6)),
                     FrameRecord(index: 1, pts: 999, time: 0.101, image: RGBImage(width: 8, height: 6)),
                     FrameRecord(index: 2, pts: 5000, time: 5, image: RGBImage(width: 8, height: 6))]
        try stage.process(&batch)
        #expect(batch.map(\.instances.count) == [1, 1, 0])
        #expect(batch[0].instances[0].categoryID == 3)
        #expect(stage.matched == 2)
    }
}
