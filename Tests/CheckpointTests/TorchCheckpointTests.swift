import Foundation
import Testing
import Checkpoint

/// torch.save'd state dicts (both layouts) read back exactly as torch sees them.
@Suite struct TorchCheckpointTests {
    @Test(arguments: ["tiny_legacy.pth", "tiny_zip.pth", "tiny_zip_proto4.pth"])
    func readsEveryTensorExactly(file: String) throws {
        let dict = try CheckpointReader.load(contentsOf: try Fixture.path(file))
        expectMatches(dict, try Fixture.expected("tiny_expected.json"))
    }

    @Test(arguments: ["tiny_legacy.pth", "tiny_zip.pth", "tiny_zip_proto4.pth"])
    func layoutCases(file: String) throws {
        let dict = try CheckpointReader.load(contentsOf: try Fixture.path(file))
        // 0-d int64 scalar.
        let scalar = try #require(dict["backbone.body.bn1.num_batches_tracked"])
        #expect(scalar.shape == [] && scalar.values == [7])
        // Transposed view gathered into row-major order.
        #expect(try #require(dict["roi_heads.box_head.fc6.weight"]).shape == [5, 6])
        // Two views of one storage, the second at offset 8.
        #expect(try #require(dict["rpn.head.cls_logits.weight"]).shape == [2, 3])
        #expect(try #require(dict["rpn.head.bbox_pred.weight"]).shape == [3, 4])
        // Integer and bool storages converted to Float.
        #expect(try #require(dict["extra.int32"]).values == [-3, 0, 5, Float(Int32.max)])
        #expect(try #require(dict["extra.uint8"]).values == [0, 1, 255])
        #expect(try #require(dict["extra.bool"]).values == [1, 0, 1])
        #expect(try #require(dict["extra.empty"]).shape == [0, 3])
    }

    @Test func bothLayoutsAgree() throws {
        let legacy = try CheckpointReader.load(contentsOf: try Fixture.path("tiny_legacy.pth"))
        let zipped = try CheckpointReader.load(contentsOf: try Fixture.path("tiny_zip.pth"))
        #expect(legacy.names == zipped.names)
        for name in legacy.names { #expect(legacy[name] == zipped[name], "\(name)") }
    }

    @Test func detectsFormats() throws {
        #expect(try CheckpointReader.format(ofFileAt: try Fixture.path("tiny_legacy.pth")) == .torchLegacy)
        #expect(try CheckpointReader.format(ofFileAt: try Fixture.path("tiny_zip.pth")) == .torchZip)
        #expect(try CheckpointReader.format(ofFileAt: try Fixture.path("tiny.safetensors")) == .safetensors)
    }

    /// Training checkpoints: {"model": ...} / {"state_dict": ...} with DataParallel's `module.` prefix.
    @Test(arguments: ["wrapped_model_zip.pth", "wrapped_state_dict_legacy.pth"])
    func unwrapsTrainingCheckpoints(file: String) throws {
        let dict = try CheckpointReader.load(contentsOf: try Fixture.path(file))
        let expected = try Fixture.expected("tiny_expected.json")
        let names = ["backbone.body.conv1.weight", "backbone.body.bn1.num_batches_tracked", "rpn.head.conv.bias"]
        #expect(dict.names == names)
        for entry in expected.tensors where names.contains(entry.name) {
            #expect(dict[entry.name]?.values.map(\.bitPattern) == entry.bits)
            #expect(dict[entry.name]?.shape == entry.shape)
        }
    }
}
