import Foundation
import Testing
import Checkpoint

/// SeededWeights reproduces tools/reference/seeded_weights.py bit for bit, for the Mask R-CNN and the Keypoint R-CNN
/// layouts (fixture made by make_seeded_samples.py).
@Suite struct SeededWeightsTests {
    struct Samples: Decodable {
        struct Sample: Decodable {
            let name: String
            let shape: [Int]
            let first_bits: [UInt32]
            let last_bits: [UInt32]
        }
        struct Entry: Decodable {
            let name: String
            let shape: [Int]
            let bits_sum: String
        }
        let seed: UInt64
        let samples: [Sample]
        let layout: [Entry]
        let keypoint_samples: [Sample]
        let keypoint_layout: [Entry]
    }

    static func samples() throws -> Samples {
        let url = try #require(Bundle.module.url(forResource: "seeded_samples", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Samples.self, from: Data(contentsOf: url))
    }

    @Test func firstAndLastValuesMatchPython() throws {
        let fixture = try Self.samples()
        Self.expectSamples(fixture.samples, seed: fixture.seed)
    }

    @Test func wholeLayoutMatchesPythonChecksums() throws {
        let fixture = try Self.samples()
        try Self.expectChecksums(fixture.layout, count: 307, seed: fixture.seed)
    }

    @Test func keypointRCNNValuesMatchPython() throws {
        let fixture = try Self.samples()
        #expect(fixture.keypoint_samples.count == 7)
        Self.expectSamples(fixture.keypoint_samples, seed: fixture.seed)
    }

    @Test func wholeKeypointRCNNLayoutMatchesPythonChecksums() throws {
        let fixture = try Self.samples()
        try Self.expectChecksums(fixture.keypoint_layout, count: 313, seed: fixture.seed)
    }

    /// The background logit offset is 6.0 for the 91-class predictor and 5.0 for the 2-class one; the stream
    /// itself depends only on the name, so the person logit bias is the same in both.
    @Test func backgroundOffsetDependsOnPredictorShape() {
        let name = "roi_heads.box_predictor.cls_score.bias"
        let mask = SeededWeights.values(name: name, shape: [91], seed: 0)
        let keypoint = SeededWeights.values(name: name, shape: [2], seed: 0)
        #expect(keypoint[1] == mask[1])
        #expect(mask[0] > 5.95 && mask[0] < 6.05)
        #expect(keypoint[0] > 4.95 && keypoint[0] < 5.05)
    }

    static func expectSamples(_ samples: [Samples.Sample], seed: UInt64) {
        for sample in samples {
            let values = SeededWeights.values(name: sample.name, shape: sample.shape, seed: seed)
            #expect(values.prefix(sample.first_bits.count).map(\.bitPattern) == sample.first_bits, "\(sample.name)")
            #expect(values.suffix(sample.last_bits.count).map(\.bitPattern) == sample.last_bits, "\(sample.name)")
        }
    }

    static func expectChecksums(_ entries: [Samples.Entry], count: Int, seed: UInt64) throws {
        let layout = entries.map { (name: $0.name, shape: $0.shape) }
        let dict = SeededWeights.stateDict(layout: layout, seed: seed)
        #expect(dict.count == count)
        #expect(dict.names == layout.map(\.name))
        for entry in entries {
            let tensor = try #require(dict[entry.name])
            #expect(tensor.shape == entry.shape)
            var sum: UInt64 = 0
            for value in tensor.values { sum &+= UInt64(value.bitPattern) }
            #expect(String(sum, radix: 16).leftPadded(to: 16) == entry.bits_sum, "\(entry.name)")
        }
    }

    @Test func differentSeedsAndNamesGiveDifferentStreams() {
        let a = SeededWeights.values(name: "rpn.head.cls_logits.bias", shape: [3], seed: 0)
        let b = SeededWeights.values(name: "rpn.head.cls_logits.bias", shape: [3], seed: 1)
        let c = SeededWeights.values(name: "rpn.head.bbox_pred.bias", shape: [3], seed: 0)
        #expect(a != b)
        #expect(a != c)
        #expect(a.allSatisfy { $0 >= -0.05 && $0 < 0.05 })
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
