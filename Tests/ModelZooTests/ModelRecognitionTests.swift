import Checkpoint
import Foundation
import MaskRCNN
import ModelZoo
import Synchronization
import Testing

/// `--weights FILE` tells the torchvision R50-FPN detectors apart by their tensors, loads the right architecture
/// and says in one line which it loaded; every official file is known by name and hash prefix.
@Suite("model recognition")
struct ModelRecognitionTests {
    @Test("every official checkpoint is known, with its torch.hub hash prefix")
    func officialFiles() throws {
        let expected = [
            ("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", "bf2d0c1e"),
            ("maskrcnn_resnet50_fpn_v2", "maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth", "73cbd019"),
            ("fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", "258fb6c6"),
            ("fasterrcnn_resnet50_fpn_v2", "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth", "dd69338a"),
            ("keypointrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn_coco-fc266e95.pth", "fc266e95"),
        ]
        #expect(HubCheckpoint.known.map(\.model) == expected.map(\.0))
        for (model, file, prefix) in expected {
            #expect(try HubCheckpoint.file(ofModel: model) == file)
            #expect(HubCheckpoint.hashPrefix(inFileName: file) == prefix)
            #expect(try HubCheckpoint.url(base: HubCheckpoint.defaultBaseURL, file: file).absoluteString
                    == "https://download.pytorch.org/models/" + file)
        }
    }

    @Test("one table of model names for every command: torchvision's names and the short ones")
    func modelNamesAndAliases() throws {
        #expect(try HubCheckpoint.file(ofModel: "maskrcnn") == "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth")
        #expect(try HubCheckpoint.file(ofModel: "KeypointRCNN") == "keypointrcnn_resnet50_fpn_coco-fc266e95.pth")
        #expect(try HubCheckpoint.file(ofModel: "fasterrcnn-v2") == "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth")
        for kind in ModelKind.allCases {
            #expect(ModelKind.named(kind.rawValue) == kind)
            for alias in kind.aliases { #expect(ModelKind.named(alias) == kind, "\(alias)") }
        }
        #expect(ModelKind.named("retinanet") == nil)
        do {
            _ = try HubCheckpoint.file(ofModel: "retinanet")
            Issue.record("an unknown model was accepted")
        } catch {
            #expect("\(error)".contains("unknown model 'retinanet'") && "\(error)".contains("maskrcnn_resnet50_fpn (maskrcnn)"), "\(error)")
        }
    }

    @Test("a file of each model is recognised, loaded as that model and announced in one line",
          arguments: [ModelKind.maskRCNN, .maskRCNNv2, .fasterRCNN, .fasterRCNNv2])
    func recognised(kind: ModelKind) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("weights.safetensors").path
        try SafetensorsWriter.write(SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(of: kind), seed: 3), to: path)
        let lines = Lines()
        let model = try ModelLoader.model(option: path, options: ModelOptions()) { line in lines.append(line) }
        #expect(model.kind == kind && model.hasMasks == kind.hasMasks)
        let said = lines.all
        #expect(said == ["\(path): \(kind.displayName) (torchvision's \(kind.rawValue), \(MaskRCNNLayout.parameters(of: kind).count) tensors)"])
        // The same file for the keypoint stage is named, not failed on its first odd tensor.
        #expect(throws: ZooError.wrongModel(path: path, found: kind, wanted: .keypointRCNN)) {
            _ = try ModelLoader.keypointModel(option: path, options: ModelOptions()) { _ in }
        }
    }

    @Test("seeded weights of any model, and files that fit none described")
    func seededAndForeign() throws {
        #expect(try ModelLoader.load(option: "seeded:0", seededKind: .fasterRCNNv2).kind == .fasterRCNNv2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("resnet.safetensors").path
        var classifier = StateDict()
        for (name, shape) in [("conv1.weight", [64, 3, 7, 7]), ("fc.weight", [1000, 2048]), ("fc.bias", [1000])] {
            classifier.set(name, CheckpointTensor(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *))))
        }
        try SafetensorsWriter.write(classifier, to: path)
        do {
            _ = try ModelLoader.model(option: path, options: ModelOptions()) { _ in }
            Issue.record("a classifier loaded as a detector")
        } catch let error as ZooError {
            #expect(error.description == "\(path): an image classifier (ResNet-style: conv1 … fc, 1000 classes), not a detector")
        }
    }
}

/// Lines an `announce` closure received.
final class Lines: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var all: [String] { storage.withLock { $0 } }
}
