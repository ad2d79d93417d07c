import Checkpoint
import Foundation
import Testing

/// `mrcnn detect` end to end: the COCO results it writes for a sample image equal torchvision's detections on the
/// same seeded weights (Tests/MaskRCNNTests/Fixtures), and bad weights files give one-line errors (and `run` leaves no
/// file behind).
@Suite("mrcnn detect", .serialized)
struct ModelCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("detect writes COCO results that match torchvision's detections")
    func detectMatchesReference() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let out = dir.appendingPathComponent("results.json")
        let image = Self.root.appendingPathComponent("samples/images/fruits.png").path
        let result = try CLIHarness.mrcnn(["detect", image, "--weights", "seeded:0", "--json", out.path], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [[String: Any]]
        let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent(
            "Tests/MaskRCNNTests/Fixtures/fruits.json"))) as! [String: Any]
        let refDets = ref["detections"] as! [[String: Any]]
        #expect(results.count == refDets.count)
        for (r, d) in zip(results, refDets) {
            #expect(r["image_id"] as? Int == 1)
            #expect(r["file_name"] as? String == "fruits.png")
            #expect(r["category_id"] as? Int == (d["label"] as! NSNumber).intValue)
            let bbox = (r["bbox"] as! [NSNumber]).map(\.doubleValue), box = (d["box"] as! [NSNumber]).map(\.doubleValue)
            #expect(abs(bbox[0] - box[0]) < 0.5 && abs(bbox[1] - box[1]) < 0.5)
            #expect(abs(bbox[0] + bbox[2] - box[2]) < 0.5 && abs(bbox[1] + bbox[3] - box[3]) < 0.5)
            #expect(abs((r["score"] as! NSNumber).doubleValue - (d["score"] as! NSNumber).doubleValue) < 1e-3)
            let seg = r["segmentation"] as! [String: Any]
            #expect((seg["size"] as! [Int]) == [480, 512])
            #expect(!(seg["counts"] as! String).isEmpty)
        }
    }

    @Test("bad weights files are refused in one line", arguments: ["random", "text", "shape", "pickle", "missing"])
    func badWeights(kind: String) throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let weights = dir.appendingPathComponent("weights.pth")
        switch kind {
        case "random": try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: weights)
        case "text": try Data("not a checkpoint\n".utf8).write(to: weights)
        case "shape":
            var sd = StateDict()
            sd.set("backbone.body.conv1.weight", CheckpointTensor(shape: [64, 3, 3, 3], values: [Float](repeating: 0, count: 1728)))
            try SafetensorsWriter.write(sd, to: weights.path)
        case "pickle":
            try FileManager.default.copyItem(
                at: Self.root.appendingPathComponent("Tests/CheckpointTests/Fixtures/evil_os_system_legacy.pth"), to: weights)
        default: break
        }
        let out = dir.appendingPathComponent("r.json")
        let image = Self.root.appendingPathComponent("samples/images/fruits.png").path
        let result = try CLIHarness.mrcnn(["detect", image, "--weights", weights.path, "--json", out.path], in: dir)
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("mrcnn: error: "))
        #expect(!FileManager.default.fileExists(atPath: out.path))
        if kind == "shape" { #expect(result.stderr.contains("backbone.body.conv1.weight")) }
        if kind == "pickle" { #expect(result.stderr.contains("system")) }
    }

    @Test("a run whose weights do not load leaves no video, results or resume state behind")
    func runWithBadWeightsLeavesNothing() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let weights = dir.appendingPathComponent("weights.pth")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: weights)
        let video = Self.root.appendingPathComponent("samples/vtest.mp4").path
        let result = try CLIHarness.mrcnn(["run", video, "-o", "out.mp4", "--json", "out.json", "--weights", weights.path,
                                           "--max-frames", "2"], in: dir)
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("not a checkpoint"))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0 != "weights.pth" && !$0.hasPrefix("stdout-") && !$0.hasPrefix("stderr-") }
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
