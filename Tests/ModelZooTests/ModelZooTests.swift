import Foundation
import ModelZoo
import Testing

/// The model zoo without the network: SHA-256 (swift-crypto), torch.hub's hash-prefix rule, the cache directory,
/// cache states, and weights errors that name no command-line flag.
@Suite("model zoo")
struct ModelZooTests {
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("SHA-256 of known vectors, in memory and from a file")
    func digests() throws {
        #expect(FileDigest.sha256(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(FileDigest.sha256(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.bin")
        try Data(repeating: 0x61, count: 1_000_000).write(to: file)
        #expect(try FileDigest.sha256(ofFileAt: file.path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(throws: ZooError.cannotRead(dir.appendingPathComponent("none").path)) {
            try FileDigest.sha256(ofFileAt: dir.appendingPathComponent("none").path)
        }
    }

    @Test("hash prefixes as torch.hub reads them")
    func hashPrefix() throws {
        #expect(HubCheckpoint.hashPrefix(inFileName: HubCheckpoint.maskRCNN) == "bf2d0c1e")
        #expect(HubCheckpoint.hashPrefix(inFileName: "a-b-0c1.pth") == "0c1")
        #expect(HubCheckpoint.hashPrefix(inFileName: "plain.pth") == nil)
        #expect(HubCheckpoint.hashPrefix(inFileName: "x-ABC.pth") == nil)
        #expect(throws: ZooError.badBaseURL("ftp://x")) { try HubCheckpoint.url(base: "ftp://x", file: "a.pth") }
        #expect(try HubCheckpoint.url(base: "https://h/models", file: "a.pth").absoluteString == "https://h/models/a.pth")
        #expect(try HubCheckpoint.url(base: "http://127.0.0.1:8/m/", file: "a.pth").absoluteString == "http://127.0.0.1:8/m/a.pth")
        #expect(try HubCheckpoint.url(base: "http://localhost/m", file: "a.pth").absoluteString == "http://localhost/m/a.pth")
        #expect(throws: ZooError.insecureURL("http://h/models")) { try HubCheckpoint.url(base: "http://h/models", file: "a.pth") }
        #expect(throws: ZooError.insecureURL("http://127.example/")) { try HubCheckpoint.url(base: "http://127.example/", file: "a.pth") }
        // A DNS name that starts like a loopback address is not one (it was: four dot-separated parts sufficed).
        #expect(throws: ZooError.insecureURL("http://127.evil.example.com/")) {
            try HubCheckpoint.url(base: "http://127.evil.example.com/", file: "a.pth")
        }
        #expect(try HubCheckpoint.url(base: "http://h/models", file: "a.pth", allowInsecure: true).absoluteString == "http://h/models/a.pth")
    }

    @Test("cache directory: the explicit one, else XDG_CACHE_HOME/mrcnn, else ~/.cache/mrcnn; the base URL")
    func cacheDirectory() {
        #expect(ModelZoo.cacheDirectory(explicit: "/c", xdgCacheHome: "/x").path == "/c")
        #expect(ModelZoo.cacheDirectory(explicit: "", xdgCacheHome: "/x").path == "/x/mrcnn")
        #expect(ModelZoo.cacheDirectory().path.hasSuffix("/.cache/mrcnn"))
        #expect(HubCheckpoint.baseURL(mirror: "http://m/") == "http://m/")
        #expect(HubCheckpoint.baseURL(override: "http://o/", mirror: "http://m/") == "http://o/")
        #expect(HubCheckpoint.baseURL(mirror: "") == HubCheckpoint.defaultBaseURL)
    }

    @Test("cache states: missing, verified, mismatch")
    func cacheStates() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sha = FileDigest.sha256(Data("abc".utf8))
        let good = "w-\(sha.prefix(8)).pth", bad = "w-00000000.pth"
        #expect(try ModelZoo.state(of: good, in: dir) == .missing)
        try Data("abc".utf8).write(to: dir.appendingPathComponent(good))
        try Data("abc".utf8).write(to: dir.appendingPathComponent(bad))
        #expect(try ModelZoo.state(of: good, in: dir) == .verified(sha256: sha))
        #expect(try ModelZoo.state(of: bad, in: dir) == .mismatch(sha256: sha, expectedPrefix: "00000000"))
        #expect(throws: ZooError.noHashPrefix("plain.pth")) { try ModelZoo.fetch(file: "plain.pth", base: "http://127.0.0.1:9/", into: dir) }
    }

    @Test("weights errors are one line and name no command-line flag")
    func weightsErrors() {
        #expect(throws: ZooError.badSeed("seeded:x")) { try ModelLoader.stateDict(option: "seeded:x") }
        #expect(throws: ZooError.fileNotFound("/nonexistent.pth")) { try ModelLoader.stateDict(option: "/nonexistent.pth") }
        let errors: [ZooError] = [.noWeights(model: "m", file: "f", cacheDirectory: "/c"), .badSeed("s"), .fileNotFound("p"),
                                  .hashMismatch(file: "f", expected: "a", got: "b")]
        for e in errors {
            #expect(!e.description.contains("--"), "\(e)")
            #expect(!e.description.contains("\n"))
        }
    }
}
