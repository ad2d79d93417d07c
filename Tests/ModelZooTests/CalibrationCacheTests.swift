import Foundation
import MaskRCNN
import Tensor
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

    @Test("Keypoint R-CNN's entry is its own; its int8 asks for a calibration of its own weights like any model's")
    func keypointsHaveTheirOwnCalibration() throws {
        let cache = URL(fileURLWithPath: "/nonexistent")
        let entry = try CalibrationCache(weights: "seeded:0", stage: .keypoints, shortSide: 800, cache: cache)
        #expect(entry.model == .keypointRCNN && entry.path.hasSuffix("int8/keypointrcnn_resnet50_fpn-seeded-0-s800.json"))
        #expect(try CalibrationCache(weights: "seeded:0", stage: .anyModel, shortSide: 800, cache: cache).model == .maskRCNN)
        var options = ModelOptions()
        options.precision = .int8
        #expect(throws: ZooError.noCalibration) { _ = try ModelLoader.keypointModel(option: "seeded:0", options: options) { _ in } }
        options.calibration = Int8Calibration(model: ModelKind.maskRCNN.rawValue, weights: "seeded:0", shortSide: 800, frames: 1, inputs: [:])
        #expect(throws: ZooError.foreignCalibration("it is of maskrcnn_resnet50_fpn, the weights are keypointrcnn_resnet50_fpn")) {
            _ = try ModelLoader.keypointModel(option: "seeded:0", options: options) { _ in }
        }
    }

    @Test("weights that are no detector's are the loader's one-line error")
    func badWeights() {
        #expect(throws: ZooError.badSeed("seeded:x")) { try CalibrationCache(weights: "seeded:x", shortSide: 800, cache: URL(fileURLWithPath: "/nonexistent")) }
    }
}
