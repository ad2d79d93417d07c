import Foundation
import Testing
import Checkpoint

/// Paths of the torch-written fixtures and the values torch computed for them.
enum Fixture {
    static func path(_ name: String) throws -> String {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return folder.appendingPathComponent(name).path
    }

    struct Expected: Decodable {
        struct Entry: Decodable {
            let name: String
            let shape: [Int]
            let bits: [UInt32]
        }
        let tensors: [Entry]
    }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: try path(name))))
    }

    /// The error a load throws, or nil when it succeeds.
    static func loadError(_ name: String) throws -> CheckpointError? {
        do {
            _ = try CheckpointReader.load(contentsOf: try path(name))
            return nil
        } catch let error as CheckpointError {
            return error
        }
    }
}

/// Every name, shape and value equals torch's, bit for bit, in torch's order.
func expectMatches(_ dict: StateDict, _ expected: Fixture.Expected, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(dict.names == expected.tensors.map(\.name), sourceLocation: sourceLocation)
    for entry in expected.tensors {
        guard let tensor = dict[entry.name] else {
            Issue.record("missing tensor \(entry.name)", sourceLocation: sourceLocation)
            continue
        }
        #expect(tensor.shape == entry.shape, "\(entry.name)", sourceLocation: sourceLocation)
        #expect(tensor.values.map(\.bitPattern) == entry.bits, "\(entry.name)", sourceLocation: sourceLocation)
    }
}
