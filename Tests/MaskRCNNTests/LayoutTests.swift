import Checkpoint
import MaskRCNN
import Testing

/// The model's parameter list is torchvision's, name for name and shape for shape, and the official 2019 file
/// names (pre-0.13 FPN/RPN/mask-head names) map onto it.
@Suite struct LayoutTests {
    let reference: [[String: Any]] = try! Fixture.json("maskrcnn_layout") as! [[String: Any]]

    @Test func parameterListMatchesTorchvision() {
        let ours = MaskRCNNLayout.parameters()
        #expect(ours.count == 307)
        #expect(ours.count == reference.count)
        for (o, r) in zip(ours, reference) {
            #expect(o.name == r["name"] as! String)
            #expect(o.shape == Fixture.ints(r["shape"]))
        }
    }

    @Test func legacyCheckpointNamesAreAccepted() {
        for r in reference {
            let name = r["name"] as! String, legacy = r["checkpoint_name"] as! String
            #expect(name == legacy || WeightNames.legacyAliases(of: name).contains(legacy), "\(name) ← \(legacy)")
        }
    }

    @Test func wrongShapeIsNamedInOneLine() {
        var sd = SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(), seed: 1)
        sd.set("rpn.head.cls_logits.weight", CheckpointTensor(shape: [3, 256], values: [Float](repeating: 0, count: 768)))
        #expect(throws: WeightError("tensor 'rpn.head.cls_logits.weight' has shape [3, 256], expected [3, 256, 1, 1]")) {
            _ = try MaskRCNN(stateDict: sd)
        }
    }

    @Test func missingAndUnexpectedTensorsAreRefused() throws {
        let layout = MaskRCNNLayout.parameters()
        var missing = StateDict()
        for (n, s) in layout where n != "backbone.fpn.layer_blocks.2.0.bias" {
            missing.set(n, CheckpointTensor(shape: s, values: [Float](repeating: 1, count: s.reduce(1, *))))
        }
        #expect(throws: WeightError.self) { _ = try MaskRCNN(stateDict: missing) }
        var extra = SeededWeights.stateDict(layout: layout, seed: 1)
        extra.set("roi_heads.keypoint_head.conv_fcn1.weight", CheckpointTensor(shape: [1], values: [0]))
        #expect(throws: WeightError.self) { _ = try MaskRCNN(stateDict: extra) }
    }
}
