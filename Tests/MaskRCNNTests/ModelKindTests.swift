import Checkpoint
import MaskRCNN
import Testing

/// Checkpoints are recognised by their tensors: every torchvision R-CNN layout, and what other files look like.
@Suite struct ModelKindTests {
    static func dict(_ names: [String]) -> StateDict {
        var d = StateDict()
        for n in names { d.set(n, CheckpointTensor(shape: [1], values: [0])) }
        return d
    }

    @Test func officialLayoutsAreRecognised() {
        let mask = MaskRCNNLayout.parameters().map(\.name)
        let keypoint = MaskRCNNLayout.keypointParameters().map(\.name)
        #expect(ModelKind.of(Self.dict(mask)) == .maskRCNN)
        #expect(ModelKind.of(Self.dict(keypoint)) == .keypointRCNN)
        let faster = mask.filter { !$0.contains("mask_") }
        #expect(ModelKind.of(Self.dict(faster)) == .fasterRCNN)
        // v2: the box head is convolutions with BatchNorm plus one FC.
        let v2Box = ["roi_heads.box_head.0.0.weight", "roi_heads.box_head.0.1.weight", "roi_heads.box_head.5.weight"]
        let maskV2 = mask.filter { !$0.contains("box_head.fc") } + v2Box
        #expect(ModelKind.of(Self.dict(maskV2)) == .maskRCNNv2)
        #expect(ModelKind.of(Self.dict(faster.filter { !$0.contains("box_head.fc") } + v2Box)) == .fasterRCNNv2)
        let unsupported = ModelKind.allCases.filter { !$0.isSupported }
        #expect(unsupported.isEmpty)
    }

    @Test func otherFilesAreDescribed() {
        let classifier = Self.dict(["conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "fc.weight", "fc.bias"])
        #expect(ModelKind.of(classifier) == nil)
        #expect(ModelKind.describe(classifier).contains("image classifier"))
        let retina = Self.dict(["backbone.body.conv1.weight", "head.classification_head.cls_logits.weight"])
        #expect(ModelKind.of(retina) == nil)
        #expect(ModelKind.describe(retina).contains("single-stage"))
        #expect(ModelKind.describe(StateDict()) == "an empty state dict")
    }
}
