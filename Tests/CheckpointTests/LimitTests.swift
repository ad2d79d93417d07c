import Foundation
import Testing
import Checkpoint

/// Every resource limit of the readers (`CheckpointLimits`): a hostile file ends in one line naming the file
/// and the limit, before the memory or time it asks for is spent.
@Suite struct LimitTests {
    /// The limit error of loading `path`, checked to be one line naming the file.
    static func limitError(_ path: String, _ limits: CheckpointLimits = .standard,
                           sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        do {
            _ = try CheckpointReader.load(contentsOf: path, limits: limits)
            Issue.record("\(path) loaded", sourceLocation: sourceLocation)
        } catch let error as CheckpointError {
            guard case .limitExceeded = error else {
                Issue.record("\(path): not a limit error: \(error)", sourceLocation: sourceLocation)
                return nil
            }
            #expect(error.description.hasPrefix("checkpoint \(path) refused: "), sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
            return error.description
        } catch {
            Issue.record("\(path): \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    static func temporary(_ bytes: [UInt8], _ suffix: String) throws -> String {
        let path = NSTemporaryDirectory() + "ckpt-limit-\(UUID().uuidString)" + suffix
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func zipBombIsRefusedBeforeInflating() throws {
        // 64 MiB of zeros deflated to 64 KB as storage record data/0.
        let message = try #require(Self.limitError(try Fixture.path("bomb_zip.pth")))
        #expect(message.contains("'tiny_zip/data/0' is compressed"))
        #expect(message.contains("67108864"))
    }

    @Test func zipRecordDeclaringMoreThanTheFileIsAnError() throws {
        // The central directory says data/0 holds 3 GB; the file has 9 KB.
        let error = try #require(try Fixture.loadError("oversized_record_zip.pth"))
        guard case .truncated = error else { Issue.record("\(error)"); return }
        #expect(error.description.contains("3000000000 stored bytes"))
    }

    @Test func tooManyZipRecords() throws {
        // 10 001 empty stored records (the default limit is 10 000), then with a limit of 3 on a real file.
        let names = (0...10_000).map { "archive/extra/\($0)" }
        let path = try Self.temporary(StoredZip.archive(names.map { ($0, []) }), ".pth")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let message = try #require(Self.limitError(path))
        #expect(message.contains("more than 10000 records (limit maxZipEntries)"))

        var limits = CheckpointLimits()
        limits.maxZipEntries = 3
        #expect(Self.limitError(try Fixture.path("tiny_zip.pth"), limits)?.contains("maxZipEntries") == true)
    }

    @Test func hugeSafetensorsHeader() throws {
        // Declared header lengths of 2^39 and of 100 MB + 1 in a 12-byte file: refused by size, not read.
        for declared in [UInt64(1) << 39, 100_000_001] {
            let bytes = withUnsafeBytes(of: declared.littleEndian) { Array($0) } + Array("{}  ".utf8)
            let path = try Self.temporary(bytes, ".safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let message = try #require(Self.limitError(path))
            #expect(message.contains("safetensors header of \(declared) bytes (limit maxSafetensorsHeaderBytes 100000000)"))
        }
    }

    @Test func deepPickle() throws {
        // None in 101 nested one-tuples; then 101 MARKs open at once.
        let tuples = try RobustnessTests.legacyFile(body: [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 101) + [0x2E])
        defer { try? FileManager.default.removeItem(atPath: tuples) }
        #expect(Self.limitError(tuples)?.contains("nested deeper than 100 (limit maxPickleDepth)") == true)

        let marks = try RobustnessTests.legacyFile(body: [0x80, 0x02] + [UInt8](repeating: 0x28, count: 101) + [0x2E])
        defer { try? FileManager.default.removeItem(atPath: marks) }
        #expect(Self.limitError(marks)?.contains("MARKs nested deeper than 100") == true)

        // Lists nested through the memo (EMPTY_LIST, BINGET 0, APPEND, BINPUT 0, POP) stop at the limit too.
        var body: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00]
        for _ in 0..<200 { body += [0x5D, 0x68, 0x00, 0x61, 0x71, 0x00, 0x30] }
        let lists = try RobustnessTests.legacyFile(body: body + [0x68, 0x00, 0x2E])
        defer { try? FileManager.default.removeItem(atPath: lists) }
        #expect(Self.limitError(lists)?.contains("maxPickleDepth") == true)
    }

    @Test func longPickleStringIsRefusedBeforeItIsRead() throws {
        // BINUNICODE announcing 20 MiB (the limit is 16 MiB); the bytes are not even there.
        let length = withUnsafeBytes(of: UInt32(20 << 20).littleEndian) { Array($0) }
        let path = try RobustnessTests.legacyFile(body: [0x80, 0x02, 0x58] + length + [0x2E])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(Self.limitError(path)?.contains("limit maxPickleStringBytes 16777216") == true)
    }

    @Test func pickleObjectMemoAndStringLimitsOnRealFiles() throws {
        for file in ["tiny_legacy.pth", "tiny_zip.pth"] {
            let path = try Fixture.path(file)
            var limits = CheckpointLimits()
            limits.maxPickleObjects = 20
            #expect(Self.limitError(path, limits)?.contains("limit maxPickleObjects") == true, "\(file)")
            limits = CheckpointLimits()
            limits.maxPickleMemo = 3
            #expect(Self.limitError(path, limits)?.contains("limit maxPickleMemo") == true, "\(file)")
            limits = CheckpointLimits()
            limits.maxPickleStringBytes = 8
            #expect(Self.limitError(path, limits)?.contains("limit maxPickleStringBytes 8") == true, "\(file)")
        }
    }

    @Test func outputSizeTensorCountAndRank() throws {
        for file in ["tiny_legacy.pth", "tiny_zip.pth", "tiny.safetensors"] {
            let path = try Fixture.path(file)
            var limits = CheckpointLimits()
            limits.maxTotalBytes = 256
            #expect(Self.limitError(path, limits)?.contains("limit maxTotalBytes") == true, "\(file)")
            limits = CheckpointLimits()
            limits.maxTensors = 2
            #expect(Self.limitError(path, limits)?.contains("limit maxTensors") == true, "\(file)")
            limits = CheckpointLimits()
            limits.maxRank = 1
            #expect(Self.limitError(path, limits)?.contains("limit maxRank 1") == true, "\(file)")
            // The standard limits read it.
            #expect(try CheckpointReader.load(contentsOf: path).count > 2, "\(file)")
        }
        var limits = CheckpointLimits()
        limits.maxPickleBytes = 1000
        #expect(Self.limitError(try Fixture.path("tiny_zip.pth"), limits)?.contains("limit maxPickleBytes 1000") == true)
    }

    @Test(arguments: ["short_storage_zip.pth", "short_storage_legacy.pth"])
    func storageShorterThanItsTensor(file: String) throws {
        let error = try #require(try Fixture.loadError(file))
        guard case .truncated = error else { Issue.record("\(file): \(error)"); return }
        #expect(!error.description.contains("\n"))
    }
}

/// Writes a minimal zip of stored records (no compression, CRCs left 0: the reader does not check them).
enum StoredZip {
    static func archive(_ records: [(name: String, data: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], directory: [UInt8] = []
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16 & 0xFFFF) }
        for (name, data) in records {
            let offset = out.count, path = Array(name.utf8)
            let sizes = u32(0) + u32(data.count) + u32(data.count) + u16(path.count) + u16(0)  // crc, sizes, name, extra
            out += u32(0x0403_4B50) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0x21) + sizes + path + data
            directory += u32(0x0201_4B50) + u16(0x031E) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0x21) + sizes
            directory += u16(0) + u16(0) + u16(0) + u32(0o100644 << 16) + u32(offset) + path
        }
        let start = out.count
        out += directory
        out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(records.count) + u16(records.count)
        out += u32(directory.count) + u32(start) + u16(0)
        return out
    }
}
