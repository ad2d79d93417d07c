import Foundation
import Testing
import Checkpoint

/// Every bad input ends in the right one-line error, never a crash.
@Suite struct BadFileTests {
    @Test func notCheckpoints() throws {
        for file in ["random.bin", "video_head.mp4", "empty.pth"] {
            let error = try #require(try Fixture.loadError(file), "\(file)")
            guard case .notACheckpoint = error else {
                Issue.record("\(file): \(error)")
                continue
            }
            #expect(error.description.hasPrefix("not a checkpoint"))
            #expect(!error.description.contains("\n"))
        }
        #expect(try Fixture.loadError("empty.pth")?.description == "not a checkpoint: the file is empty")
    }

    @Test(arguments: ["truncated_zip.pth", "truncated_legacy.pth", "truncated.safetensors"])
    func truncatedFiles(file: String) throws {
        let error = try #require(try Fixture.loadError(file))
        guard case .truncated = error else {
            Issue.record("\(file): \(error)")
            return
        }
        #expect(error.description.hasPrefix("truncated checkpoint: expected "))
        #expect(!error.description.contains("\n"))
    }

    @Test func unsupportedOpcodeNamesByteAndOffset() throws {
        let error = try #require(try Fixture.loadError("bad_opcode_legacy.pth"))
        guard case let .unsupportedOpcode(byte, offset) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(byte == 0xFF)
        #expect(offset > 100)
        #expect(error.description == "unsupported pickle opcode 0xff at byte \(offset)")
    }

    @Test func unsupportedDTypes() throws {
        #expect(try Fixture.loadError("complex_zip.pth") == .unsupportedDType("torch.ComplexFloatStorage"))
        let error = try #require(try Fixture.loadError("bad_dtype.safetensors"))
        guard case .unsupportedDType = error else {
            Issue.record("\(error)")
            return
        }
        #expect(error.description.contains("C64"))
    }

    @Test func missingStorageRecord() throws {
        #expect(try Fixture.loadError("missing_storage_zip.pth") == .missingStorage(key: "0"))
    }

    @Test func missingFileAndDirectory() throws {
        do {
            _ = try CheckpointReader.load(contentsOf: "/nonexistent/weights.pth")
            Issue.record("loaded a missing file")
        } catch let error as CheckpointError {
            guard case .cannotOpen = error else { Issue.record("\(error)"); return }
        }
        do {
            _ = try CheckpointReader.load(contentsOf: NSTemporaryDirectory())
            Issue.record("loaded a directory")
        } catch let error as CheckpointError {
            guard case .cannotOpen = error else { Issue.record("\(error)"); return }
        }
    }
}
