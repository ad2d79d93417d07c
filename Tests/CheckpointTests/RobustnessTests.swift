import Foundation
import Testing
import Checkpoint

/// Hostile or damaged bytes give an error, never a crash (no traps, no stack overflow).
@Suite struct RobustnessTests {
    /// The legacy header pickles (magic, protocol, sys info) of a real torch file, then `body` as the object pickle.
    static func legacyFile(body: [UInt8]) throws -> String {
        let good = try Data(contentsOf: URL(fileURLWithPath: try Fixture.path("bad_opcode_legacy.pth")))
        let head = Array(good.prefix(good.count - 5))  // drop "\x80\x02}\xff."
        let path = NSTemporaryDirectory() + "ckpt-hostile-\(UUID().uuidString).pth"
        try Data(head + body).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func deeplyNestedPickleIsAnErrorNotAStackOverflow() throws {
        // None wrapped in 500 000 one-tuples and popped, then lists nested 200 000 deep through the memo
        // (EMPTY_LIST, BINGET 0, APPEND, BINPUT 0, POP), returned as the pickle's object.
        var body: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 500_000) + [0x30]
        body += [0x5D, 0x71, 0x00]
        for _ in 0..<200_000 { body += [0x5D, 0x68, 0x00, 0x61, 0x71, 0x00, 0x30] }
        body += [0x68, 0x00, 0x2E]
        let path = try Self.legacyFile(body: body)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: CheckpointError.self) { try CheckpointReader.load(contentsOf: path) }
    }

    @Test func hugeOffsetsAndSizesAreErrors() throws {
        // _rebuild_tensor_v2((storage pid), offset, (size,), (stride,), False, OrderedDict())
        func int64(_ v: Int64) -> [UInt8] { [0x8A, 0x08] + withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func str(_ s: String) -> [UInt8] { [0x8C, UInt8(s.utf8.count)] + Array(s.utf8) }
        for (offset, size, stride, numel) in [(Int64(1) << 62, Int64(2), Int64(1), Int64(4)), (0, Int64(1) << 61, 1, 4),
                                              (0, 2, 1, Int64(1) << 62), (Int64.max, 1, 1, 4), (0, Int64(1) << 40, 0, 4)] {
            var body: [UInt8] = [0x80, 0x02, 0x7D, 0x28] + str("w")
            body += Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28, 0x28] + str("storage")
            body += Array("ctorch\nFloatStorage\n".utf8) + str("k") + str("cpu") + int64(numel) + [0x4E, 0x74, 0x51]
            body += int64(offset) + int64(size) + [0x85] + int64(stride) + [0x85, 0x89, 0x29, 0x74, 0x52, 0x75, 0x2E]
            body += [0x80, 0x02, 0x5D, 0x28] + str("k") + [0x65, 0x2E] + withUnsafeBytes(of: Int64(4).littleEndian) { Array($0) }
            body += [UInt8](repeating: 0, count: 16)
            let path = try Self.legacyFile(body: body)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(throws: CheckpointError.self, "offset \(offset) size \(size) stride \(stride) numel \(numel)") {
                try CheckpointReader.load(contentsOf: path)
            }
        }
    }

    /// Cutting a real file anywhere, or flipping bytes in its pickle, never crashes.
    @Test(arguments: ["tiny_legacy.pth", "tiny_zip.pth", "tiny.safetensors"])
    func cutsAndFlips(file: String) throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: try Fixture.path(file)))
        let path = NSTemporaryDirectory() + "ckpt-cut-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for cut in Set(Array(0..<min(good.count, 200)) + Array(stride(from: 0, to: good.count, by: 53))) {
            try good.prefix(cut).write(to: URL(fileURLWithPath: path))
            #expect(throws: CheckpointError.self, "cut at \(cut)") { try CheckpointReader.load(contentsOf: path) }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var bad = good
            for _ in 0..<3 { bad[Int.random(in: 0..<min(bad.count, 3000), using: &generator)] = UInt8.random(in: 0...255) }
            try bad.write(to: URL(fileURLWithPath: path))
            _ = try? CheckpointReader.load(contentsOf: path)  // an error or a (possibly altered) state dict
        }
    }
}
