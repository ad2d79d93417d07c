import Foundation
import Testing
import Checkpoint

/// safetensors written by Python (by hand, per the format spec) and by our writer.
@Suite struct SafetensorsTests {
    @Test func readsPythonWrittenFile() throws {
        let dict = try CheckpointReader.load(contentsOf: try Fixture.path("tiny.safetensors"))
        expectMatches(dict, try Fixture.expected("tiny_safetensors_expected.json"))
    }

    @Test func writerRoundTrips() throws {
        let source = try CheckpointReader.load(contentsOf: try Fixture.path("tiny_zip.pth"))
        let path = NSTemporaryDirectory() + "ckpt-roundtrip-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsWriter.write(source, to: path, metadata: ["format": "pt", "note": "a \"quoted\"\nvalue"])
        let back = try CheckpointReader.load(contentsOf: path)
        #expect(back.names == source.names)
        for name in source.names { #expect(back[name] == source[name], "\(name)") }

        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + headerLength) % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<8 + headerLength)) as? [String: Any])
        #expect((header["__metadata__"] as? [String: String])?["note"] == "a \"quoted\"\nvalue")
    }

    @Test func writesWithoutMetadata() throws {
        var dict = StateDict()
        dict.set("a.weight", CheckpointTensor(shape: [2, 2], values: [1, -2, 3.5, .greatestFiniteMagnitude]))
        dict.set("scalar", CheckpointTensor(shape: [], values: [42]))
        dict.set("empty", CheckpointTensor(shape: [0], values: []))
        let path = NSTemporaryDirectory() + "ckpt-plain-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsWriter.write(dict, to: path)
        let back = try CheckpointReader.load(contentsOf: path)
        #expect(Set(back.names) == Set(dict.names))
        for name in dict.names { #expect(back[name] == dict[name], "\(name)") }
    }

    @Test func writeFailureIsOneLine() {
        var dict = StateDict()
        dict.set("x", CheckpointTensor(shape: [1], values: [1]))
        #expect(throws: CheckpointError.self) { try SafetensorsWriter.write(dict, to: "/nonexistent/dir/x.safetensors") }
    }
}
