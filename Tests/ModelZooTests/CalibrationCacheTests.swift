import Foundation
import MaskRCNN
import ModelZoo
import Testing

/// Runs keep the calibrations they measure under the weights' identity, the model and the short side.
@Suite struct CalibrationCacheTests {
    @Test("one file per identity, model and short side, in the cache's int8 folder; stored whole")
    func keyedByIdentityModelAndSide() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("calcache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let seeded = try CalibrationCache(weights: "seeded:0", shortSide: 800, cache: cache)
        #expect(seeded.identity == "seeded:0" && seeded.model == .maskRCNN && seeded.shortSide == 800)
        #expect(seeded.path == cache.appendingPathComponent("int8/maskrcnn_resnet50_fpn-seeded-0-s800.json").path)
        #expect(try CalibrationCache(weights: "seeded:1", shortSide: 800, cache: cache).path != seeded.path)
        #expect(try CalibrationCache(weights: "seeded:0", shortSide: 480, cache: cache).path != seeded.path)
        #expect(CalibrationCache(identity: "seeded:0", model: .maskRCNNv2, shortSide: 800, cache: cache).path != seeded.path)
        let file = CalibrationCache(identity: "sha256:" + String(repeating: "ab", count: 32), model: .fasterRCNN, shortSide: 480, cache: cache)
        #expect(URL(fileURLWithPath: file.path).lastPathComponent == "fasterrcnn_resnet50_fpn-sha256-\(String(repeating: "ab", count: 32))-s480.json")
        #expect(!seeded.exists)
        try seeded.store(Data("{}".utf8))
        #expect(seeded.exists && FileManager.default.contents(atPath: seeded.path) == Data("{}".utf8))
        let left = try FileManager.default.contentsOfDirectory(atPath: CalibrationCache.directory(in: cache).path)
        #expect(left == [URL(fileURLWithPath: seeded.path).lastPathComponent], "no temporary file left")
    }

    @Test("int8 for Keypoint R-CNN is refused in one line that names what to use instead, not mrcnn calibrate")
    func keypointsHaveNoInt8() {
        var options = ModelOptions()
        options.precision = .int8
        #expect(throws: ZooError.noInt8(model: ModelKind.keypointRCNN.displayName)) {
            _ = try ModelLoader.keypointModel(option: "seeded:0", options: options) { _ in }
        }
        let line = ZooError.noInt8(model: ModelKind.keypointRCNN.displayName).description
        #expect(!line.contains("\n") && line.contains("--precision fp32") && !line.contains("calibrate"))
    }

    @Test("weights that are no detector's are the loader's one-line error")
    func badWeights() {
        #expect(throws: ZooError.badSeed("seeded:x")) { try CalibrationCache(weights: "seeded:x", shortSide: 800, cache: URL(fileURLWithPath: "/nonexistent")) }
    }
}
