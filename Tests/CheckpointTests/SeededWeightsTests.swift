import Foundation
import Testing
import Checkpoint

/// SeededWeights reproduces tools/reference/seeded_weights.py bit for bit (fixture made by make_seeded_samples.py).
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
    }

    static func samples() throws -> Samples {
        let url = try #require(Bundle.module.url(forResource: "seeded_samples", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Samples.self, from: Data(contentsOf: url))
    }

    @Test func firstAndLastValuesMatchPython() throws {
        let fixture = try Self.samples()
        for sample in fixture.samples {
            let values = SeededWeights.values(name: sample.name, shape: sample.shape, seed: fixture.seed)
            #expect(values.prefix(sample.first_bits.count).map(\.bitPattern) == sample.first_bits, "\(sample.name)")
            #expect(values.suffix(sample.last_bits.count).map(\.bitPattern) == sample.last_bits, "\(sample.name)")
        }
    }

    @Test func wholeLayoutMatchesPythonChecksums() throws {
        let fixture = try Self.samples()
        let layout = fixture.layout.map { (name: $0.name, shape: $0.shape) }
        let dict = SeededWeights.stateDict(layout: layout, seed: fixture.seed)
        #expect(dict.count == 307)
        #expect(dict.names == layout.map(\.name))
        for entry in fixture.layout {
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
