import Foundation
import Testing
import Checkpoint

/// Pickles that would run code under a plain `pickle.load` are refused by name, and nothing runs.
@Suite(.serialized) struct PickleSafetyTests {
    /// The file the fixtures' payloads would create (see tools/reference/make_checkpoint_fixtures.py).
    static let marker = "/tmp/mrcnn_checkpoint_fixture_pwned"

    @Test(arguments: [
        ("evil_os_system_legacy.pth", "posix.system"),
        ("evil_os_system_zip.pth", "posix.system"),
        ("evil_eval_zip.pth", "__builtin__.eval"),  // protocol 2 spells builtins the Python 2 way
        ("evil_eval_proto4_zip.pth", "builtins.eval"),  // STACK_GLOBAL
    ])
    func refusesForbiddenGlobals(file: String, global: String) throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let error = try #require(try Fixture.loadError(file))
        #expect(error == .forbiddenGlobal(global))
        #expect(error.description.contains("'\(global)'"))
        #expect(!error.description.contains("\n"))
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "the payload ran")
    }
}
