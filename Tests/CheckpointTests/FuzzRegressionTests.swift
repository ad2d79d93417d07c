import Foundation
import Testing
import Checkpoint

/// Inputs the libFuzzer targets (Fuzz/, tools/fuzz.sh) crashed on, kept in Fixtures/fuzz/: each must now end in
/// a one-line CheckpointError.
@Suite struct FuzzRegressionTests {
    /// Every kept input, by file name (`pth-…` for the .pth target, `safetensors-…` for the safetensors one).
    static let inputs = ["pth-zip64-offset-trap.pth", "pth-zip64-record-before-locator.pth"]

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

    @Test func zip64RecordWhereZIPFoundationLooksNotWhereTheLocatorPoints() throws {
        // The locator points at byte 9565 (no zip64 record there); ZIPFoundation reads the record at the fixed
        // place before the locator (byte 9538) regardless, whose directory offset 18446181123756138514 trapped.
        let error = try #require(try Fixture.loadError("fuzz/pth-zip64-record-before-locator.pth"))
        #expect(error == .malformed("zip64 central directory offset 18446181123756138514 lies beyond the 9636-byte file"))
    }
}
