import Foundation
import Testing
import Checkpoint

/// Realism check on a full-size checkpoint, run only when asked:
/// `MRCNN_FULL_CHECKPOINT=/path/model.pth [MRCNN_FULL_CHECKPOINT_EXPECTED=/path/names.json] swift test -c release
/// --filter FullCheckpointTests`. The optional JSON, written by torch, is
/// `{"tensors": [{"name", "shape"}], "checksums": {name: sum of values as float64}}`.
@Suite struct FullCheckpointTests {
    static let path = ProcessInfo.processInfo.environment["MRCNN_FULL_CHECKPOINT"]
    static let expectedPath = ProcessInfo.processInfo.environment["MRCNN_FULL_CHECKPOINT_EXPECTED"]

    struct Expected: Decodable {
        struct Entry: Decodable {
            let name: String
            let shape: [Int]
        }
        let tensors: [Entry]
        let checksums: [String: Double]?
    }

    @Test(.enabled(if: path != nil, "set MRCNN_FULL_CHECKPOINT to a full .pth/.safetensors file"))
    func loadsFullCheckpoint() throws {
        let path = try #require(Self.path)
        let clock = ContinuousClock()
        let start = clock.now
        let dict = try CheckpointReader.load(contentsOf: path)
        let elapsed = clock.now - start
        let floats = dict.names.reduce(0) { $0 + (dict[$1]?.count ?? 0) }
        print("full checkpoint \(path): \(dict.count) tensors, \(floats) values, loaded in \(elapsed)")
        #expect(dict.count > 0)

        guard let expectedPath = Self.expectedPath else { return }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: expectedPath)))
        #expect(dict.names == expected.tensors.map(\.name))
        for entry in expected.tensors { #expect(dict[entry.name]?.shape == entry.shape, "\(entry.name)") }
        for (name, sum) in expected.checksums ?? [:] {
            let ours = dict[name]?.values.reduce(0.0) { $0 + Double($1) } ?? .nan
            #expect(abs(ours - sum) <= 1e-6 + 1e-9 * abs(sum), "\(name): \(ours) vs torch \(sum)")
        }
    }
}
