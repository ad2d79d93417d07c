import Foundation
import Tensor
import Testing

/// The checks every parity test applies to a torchvision fixture: proposals matched as a set, then each sampled
/// layer within 1e-4 relative (to the value or the tensor's mean magnitude), per-proposal layers row by match.
enum ReferenceComparison {
    static let perProposalLayers: Set<String> = ["roi_heads.box_roi_pool", "roi_heads.class_logits", "roi_heads.box_regression"]

    /// Records issues for proposal and layer mismatches; returns how many proposals matched.
    @discardableResult
    static func check(_ ref: [String: Any], traced: [String: Tensor], label: String) -> Int {
        // With the seeded weights the per-level top-1000 cut on P2 and a few RPN NMS decisions sit within float32
        // noise of a tie (logit gaps ~5e-5, see tools/reference/README.md), so up to 0.5% of proposals may
        // legitimately differ; the detections must not.
        let refProposals = (ref["proposals"] as! [[NSNumber]]).map { $0.map(\.floatValue) }
        guard let ours = traced["rpn.proposals"] else {
            Issue.record("\(label): proposals not traced")
            return 0
        }
        #expect(ours.n == refProposals.count, "\(label): \(ours.n) proposals, torchvision \(refProposals.count)")
        let rowOf = ProposalMatch.rows(ours: ours, reference: refProposals)
        let matched = rowOf.filter { $0 != nil }.count
        #expect(matched * 1000 >= refProposals.count * 995, "\(label): \(matched) of \(refProposals.count) proposals match within 0.01 px")

        for (name, any) in ref["layers"] as! [String: Any] {
            let layer = any as! [String: Any]
            guard let t = traced[name] else { Issue.record("\(label): layer \(name) not traced"); continue }
            #expect(t.shape == Fixture.ints(layer["shape"]), "\(label): \(name) shape")
            guard t.shape == Fixture.ints(layer["shape"]) else { continue }
            let meanAbs = Float((layer["abs_sum"] as! NSNumber).doubleValue / Double(max(t.count, 1)))
            let rowSize = t.count / max(t.shape[0], 1)
            var worst: Float = 0
            for (i, v) in zip(Fixture.ints(layer["index"]), Fixture.floats(layer["value"])) {
                var j = i
                if perProposalLayers.contains(name) {
                    guard let r = rowOf[i / rowSize] else { continue }
                    j = r * rowSize + i % rowSize
                }
                worst = max(worst, abs(t.data[j] - v) / (abs(v) + meanAbs + 1e-12))
            }
            #expect(worst < 1e-4, "\(label) \(name): worst relative error \(worst)")
        }
        return matched
    }
}
