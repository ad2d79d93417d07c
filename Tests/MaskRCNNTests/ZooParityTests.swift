import Checkpoint
import Foundation
import MaskRCNN
import Synchronization
import Tensor
import Testing

/// The rest of the model zoo against torchvision 0.14 at the v1 bounds: Faster R-CNN v1 (boxes only), Mask R-CNN v2
/// and Faster R-CNN v2 (BatchNorm folded, two RPN convs, conv + FC box head), each built from seeded weights in its
/// official checkpoint's layout and recognised by its tensors (fixtures from
/// `tools/reference/make_maskrcnn_fixtures.py --model NAME`: a video frame and a JPEG photo each).
@Suite(.serialized) struct ZooParityTests {
    static let kinds: [ModelKind] = [.fasterRCNN, .maskRCNNv2, .fasterRCNNv2]
    static let prefix: [ModelKind: String] = [.fasterRCNN: "frcnn_", .maskRCNNv2: "v2_", .fasterRCNNv2: "frcnn_v2_"]

    static func model(_ kind: ModelKind, _ backend: ComputeBackend) throws -> MaskRCNN {
        var options = ModelOptions()
        options.backend = backend
        let dict = SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(of: kind), seed: 0)
        #expect(ModelKind.of(dict) == kind)
        let m = try MaskRCNN(stateDict: dict, options: options)
        #expect(m.kind == kind && m.hasMasks == kind.hasMasks && m.detector.isV2 == kind.isV2)
        return m
    }

    @Test(arguments: kinds, [ComputeBackend.openblas, .onednn])
    func matchesTorchvision(kind: ModelKind, backend: ComputeBackend) throws {
        let model = try Self.model(kind, backend)
        for image in ["vtest_frame30", "messi5_jpg"] {
            let stem = Self.prefix[kind]! + image
            let ref = try Fixture.json(stem) as! [String: Any]
            let img = try ParityTests.image(of: ref)
            var traced: [String: Tensor] = [:]
            let detections = model(RGBInput(width: img.width, height: img.height, pixels: img.rgb)) { traced[$0] = $1 }
            let label = "\(stem) [\(backend.rawValue)]"
            ReferenceComparison.check(ref, traced: traced, label: label)
            DetectionComparison.check(detections, ref, label: label)
            if !kind.hasMasks { #expect(traced["roi_heads.mask_logits"] == nil) }
        }
    }

    /// The v2 parameter list is torchvision's `maskrcnn_resnet50_fpn_v2` state dict (without the int64
    /// num_batches_tracked counters), name for name and shape for shape; the others are its and v1's subsets.
    @Test func layoutsMatchTorchvision() throws {
        let reference = try Fixture.json("maskrcnn_v2_layout") as! [[String: Any]]
        let ours = MaskRCNNLayout.parameters(of: .maskRCNNv2)
        #expect(ours.count == 363 && ours.count == reference.count)
        for (o, r) in zip(ours, reference) {
            #expect(o.name == r["name"] as! String)
            #expect(o.shape == Fixture.ints(r["shape"]))
        }
        let isMask = { (name: String) in name.hasPrefix("roi_heads.mask_") }
        #expect(MaskRCNNLayout.parameters(of: .fasterRCNNv2).map(\.name) == ours.map(\.name).filter { !isMask($0) })
        #expect(MaskRCNNLayout.parameters(of: .fasterRCNN).map(\.name) == MaskRCNNLayout.parameters().map(\.name).filter { !isMask($0) })
        #expect(MaskRCNNLayout.parameters(of: .fasterRCNN).count == 295 && MaskRCNNLayout.parameters(of: .fasterRCNNv2).count == 339)
        for kind in ModelKind.allCases {
            #expect(ModelKind.of(SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(of: kind), seed: 0)) == kind)
        }
    }

    /// A Keypoint R-CNN file is not a detector for `MaskRCNN`, and a v1 file missing a v2 tensor is named.
    @Test func otherModelsAreRefusedInOneLine() {
        let keypoint = SeededWeights.stateDict(layout: MaskRCNNLayout.keypointParameters(), seed: 0)
        #expect(throws: WeightError.self) { _ = try MaskRCNN(stateDict: keypoint) }
        var v2 = SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(of: .maskRCNNv2), seed: 0)
        v2.set("backbone.fpn.layer_blocks.3.1.running_var", CheckpointTensor(shape: [255], values: [Float](repeating: 1, count: 255)))
        #expect(throws: WeightError("tensor 'backbone.fpn.layer_blocks.3.1.running_var' has shape [255], expected [256]")) {
            _ = try MaskRCNN(stateDict: v2)
        }
    }
}
