import Foundation
import Testing
import Checkpoint

/// Inputs the libFuzzer targets (Fuzz/, tools/fuzz.sh) crashed on, kept in Fixtures/fuzz/: each must now end in
/// a one-line CheckpointError.
@Suite struct FuzzRegressionTests {
    /// Every kept input, by file name (`pth-…` for the .pth target, `safetensors-…` for the safetensors one).
    static let inputs = ["pth-zip64-offset-trap.pth"]

    @Test(arguments: inputs)
    func keptInputIsAnError(file: String) throws {
        let error = try #require(try Fixture.loadError("fuzz/" + file), "\(file) loaded")
        #expect(!error.description.contains("\n"))
    }

    @Test func zip64CentralDirectoryOffsetBeyondTheFile() throws {
        // The zip64 end record of a torch zip puts the central directory at byte 18446181123756138514;
        // ZIPFoundation 0.9.20 trapped converting it to off_t.
        let error = try #require(try Fixture.loadError("fuzz/pth-zip64-offset-trap.pth"))
        #expect(error == .malformed("zip64 central directory offset 18446181123756138514 lies beyond the 9663-byte file"))
    }
}
