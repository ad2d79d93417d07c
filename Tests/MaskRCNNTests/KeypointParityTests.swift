import Checkpoint
import Foundation
import MaskRCNN
import Tensor
import Testing
import VideoIO

/// Keypoint R-CNN against torchvision on identical seeded weights in the official checkpoint layout
/// (fixtures from tools/reference/make_keypointrcnn_fixtures.py): layers, detections, keypoints within 0.5 px.
@Suite(.serialized) struct KeypointParityTests {
    static let model: KeypointRCNN = make(.openblas)
    static let oneDNNModel: KeypointRCNN = make(.onednn)

    static func make(_ backend: ComputeBackend) -> KeypointRCNN {
        var options = ModelOptions()
        options.backend = backend
        return try! KeypointRCNN(stateDict: SeededWeights.stateDict(layout: MaskRCNNLayout.keypointParameters(), seed: 0), options: options)
    }

    @Test func layoutMatchesTorchvision() throws {
        let reference = try Fixture.json("keypointrcnn_layout") as! [[String: Any]]
        let ours = MaskRCNNLayout.keypointParameters()
        #expect(ours.count == 313)
        #expect(ours.count == reference.count)
        for (o, r) in zip(ours, reference) {
            #expect(o.name == r["name"] as! String)
            #expect(o.shape == Fixture.ints(r["shape"]))
            let legacy = r["checkpoint_name"] as! String
            #expect(o.name == legacy || WeightNames.legacyAliases(of: o.name).contains(legacy))
        }
    }

    @Test(arguments: ParityTests.backends, ["kp_messi5", "kp_vtest_frame30", "kp_messi5_jpg"])
    func matchesTorchvision(backend: ComputeBackend, stem: String) throws {
        let model = backend == .onednn ? Self.oneDNNModel : Self.model
        let ref = try Fixture.json(stem) as! [String: Any]
        let img = try ParityTests.image(of: ref)
        var traced: [String: Tensor] = [:]
        let detections = model(RGBInput(width: img.width, height: img.height, pixels: img.rgb)) { traced[$0] = $1 }

        ReferenceComparison.check(ref, traced: traced, label: "\(stem) [\(backend.rawValue)]")

        let refDets = ref["detections"] as! [[String: Any]]
        #expect(detections.count == refDets.count, "\(stem): \(detections.count) detections, torchvision \(refDets.count)")
        for (d, r) in zip(detections, refDets) {
            let box = Fixture.floats(r["box"])
            #expect(d.label == (r["label"] as! NSNumber).intValue)
            #expect(abs(d.score - (r["score"] as! NSNumber).floatValue) < 1e-3)
            #expect(zip([d.box.x1, d.box.y1, d.box.x2, d.box.y2], box).allSatisfy { abs($0 - $1) < 0.5 })
            let kps = (r["keypoints"] as! [[NSNumber]]).map { $0.map(\.floatValue) }
            let kpScores = Fixture.floats(r["keypoint_scores"])
            let ours = d.keypoints ?? []
            #expect(ours.count == kps.count)
            for (k, (o, e)) in zip(ours, kps).enumerated() {
                #expect(abs(o.x - e[0]) < 0.5 && abs(o.y - e[1]) < 0.5, "\(stem): keypoint \(k) at (\(o.x), \(o.y)), torchvision (\(e[0]), \(e[1]))")
                #expect(abs(o.score - kpScores[k]) <= 1e-3 * max(1, abs(kpScores[k])))
            }
        }
    }
}
