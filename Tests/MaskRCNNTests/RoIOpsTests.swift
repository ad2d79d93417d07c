import MaskRCNN
import Tensor
import Testing

/// RoIAlign and NMS against torchvision's compiled CPU ops on the same inputs (tools/reference/make_op_fixtures.py).
@Suite struct RoIOpsTests {
    let fixture = try! Fixture.json("roi_ops") as! [String: Any]

    func boxes(_ t: Tensor) -> [BoxF] {
        (0..<(t.count / 4)).map { BoxF(t.data[$0 * 4], t.data[$0 * 4 + 1], t.data[$0 * 4 + 2], t.data[$0 * 4 + 3]) }
    }

    @Test func roiAlignMatchesTorchvision() {
        let f = fixture["roi_align"] as! [String: Any]
        let feature = Fixture.tensor(f["feature"])
        let expected = Fixture.tensor(f["y"])
        let pool = MultiScaleRoIAlign(outputSize: 7)
        // Level 0 has spatial scale 1/4, as in the fixture; force every box onto it by pooling each separately.
        var got: [Float] = []
        for b in boxes(Fixture.tensor(f["boxes"])) {
            got += pool.poolOnLevel(feature, scale: 0.25, box: b).data
        }
        #expect(got.count == expected.count)
        var maxErr: Float = 0
        for i in got.indices { maxErr = max(maxErr, abs(got[i] - expected.data[i])) }
        #expect(maxErr < 1e-5)
    }

    @Test func nmsMatchesTorchvision() {
        let f = fixture["nms"] as! [String: Any]
        let b = boxes(Fixture.tensor(f["boxes"]))
        let s = Fixture.floats((f["scores"] as! [String: Any])["data"])
        #expect(NMS.nms(b, s, threshold: 0.5) == Fixture.ints(f["keep_nms"]))
        #expect(NMS.batched(b, s, groups: Fixture.ints(f["groups"]), threshold: 0.5) == Fixture.ints(f["keep_batched"]))
    }

    @Test func levelMapperFollowsCanonicalScale() {
        #expect(MultiScaleRoIAlign.level(of: BoxF(0, 0, 224, 224)) == 2)   // level 4 → index 2
        #expect(MultiScaleRoIAlign.level(of: BoxF(0, 0, 10, 10)) == 0)     // clamped to level 2
        #expect(MultiScaleRoIAlign.level(of: BoxF(0, 0, 2000, 2000)) == 3) // clamped to level 5
        #expect(MultiScaleRoIAlign.level(of: BoxF(0, 0, 112, 112)) == 1)
    }
}
