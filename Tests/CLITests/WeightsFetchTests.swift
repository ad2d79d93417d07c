import Checkpoint
import Foundation
import Testing

/// `mrcnn weights fetch|list|hash` against a loopback HTTP server started in this process: downloads land verified
/// in $MRCNN_CACHE once; wrong hashes, HTTP errors, truncated bodies and HTML pages leave nothing behind.
@Suite("mrcnn weights")
struct WeightsFetchTests {
    /// A small safetensors checkpoint (~256 KiB) and its SHA-256 as coreutils computes it.
    static func makeCheckpoint(in dir: URL) throws -> (data: Data, sha256: String) {
        var dict = StateDict()
        dict.set("backbone.body.conv1.weight",
                 CheckpointTensor(shape: [64, 1024], values: (0..<65_536).map { Float($0 % 97) / 97 }))
        let file = dir.appendingPathComponent("tiny.safetensors")
        try SafetensorsWriter.write(dict, to: file.path)
        let sum = try CLIHarness.run(CLIHarness.tool("sha256sum"), [file.path], in: dir)
        return (try Data(contentsOf: file), String(sum.stdout.prefix(64)))
    }

    /// Runs `mrcnn` with MRCNN_CACHE = `cache` (plus `environment`), proxies off for loopback.
    static func mrcnn(_ arguments: [String], cache: URL, environment: [String: String] = [:], in dir: URL) throws -> CLIHarness.Result {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["MRCNN_CACHE"] = cache.path
        env["MRCNN_WEIGHTS_BASE_URL"] = nil
        env["NO_PROXY"] = "127.0.0.1,localhost"
        env["no_proxy"] = "127.0.0.1,localhost"
        env.merge(environment) { $1 }
        process.environment = env
        let tag = UUID().uuidString
        let out = dir.appendingPathComponent("out-\(tag).txt"), err = dir.appendingPathComponent("err-\(tag).txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try CLIHarness.wait(process, timeout: 30)
        return CLIHarness.Result(status: process.terminationStatus, exitedNormally: process.terminationReason == .exit,
                                 stdout: CLIHarness.read(out), stderr: CLIHarness.read(err))
    }

    static func contents(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    /// Expects a failure reported as exactly one `mrcnn: error:` line containing `fragment`, and an empty cache.
    static func expectOneLineError(_ result: CLIHarness.Result, _ fragment: String, cache: URL) {
        #expect(result.status != 0 && result.exitedNormally)
        let lines = result.stderrLines.filter { !$0.hasPrefix("progress: ") }
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(lines.first?.hasPrefix("mrcnn: error: ") == true, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(fragment), "stderr: \(result.stderr)")
        #expect(contents(cache).isEmpty, "left in the cache: \(contents(cache))")
    }

    @Test("SHA-256 of known vectors (weights hash)")
    func knownVectors() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let vectors: [(String, Data, String)] = [
            ("empty", Data(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", Data("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("two-blocks", Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("million-a", Data(repeating: 0x61, count: 1_000_000),
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
            // bytes (31 i + 7) mod 256 for i < 2^20; expected value from coreutils' sha256sum.
            ("pattern-1MiB", Data((0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }),
             "06b7bbfb7824aa03382051691630eb26de85102d1b08a81e907ec0744cd8a286"),
        ]
        for (name, data, _) in vectors { try data.write(to: dir.appendingPathComponent(name)) }
        let result = try CLIHarness.mrcnn(["weights", "hash"] + vectors.map(\.0), in: dir, timeout: 30)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(whereSeparator: \.isNewline).map(String.init)
        #expect(lines == vectors.map { "\($0.2)  \($0.0)" })
    }

    @Test("fetch downloads once into MRCNN_CACHE; the second run does not download")
    func fetchOnce() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        let (data, sha) = try Self.makeCheckpoint(in: dir)
        let name = "tiny-\(sha.prefix(8)).pth"
        let server = try LoopbackHTTPServer(routes: ["/models/\(name)": .body(data)])
        defer { server.stop() }
        let first = try Self.mrcnn(["weights", "fetch", "--file", name, "--base-url", server.baseURL], cache: cache, in: dir)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(try Data(contentsOf: cache.appendingPathComponent(name)) == data)
        #expect(Self.contents(cache) == [name])
        let mode = (try FileManager.default.attributesOfItem(atPath: cache.path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o700, "a new cache directory is private to the user")
        #expect(server.requests(for: "/models/\(name)") == 1)
        #expect(first.stderr.contains("progress: ") && first.stderr.contains("(100%)") && first.stderr.contains("MB/s"),
                "stderr: \(first.stderr)")
        #expect(first.stdout.contains("verified"))

        // Second run: from the environment's base URL, and nothing is requested.
        let second = try Self.mrcnn(["weights", "fetch", "--file", name], cache: cache,
                                    environment: ["MRCNN_WEIGHTS_BASE_URL": server.baseURL], in: dir)
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(second.stdout.contains("already present and verified"), "stdout: \(second.stdout)")
        #expect(server.requests(for: "/models/\(name)") == 1)
        #expect(Self.contents(cache) == [name])
    }

    @Test("a cached file that fails verification is downloaded again and replaced")
    func replacesCorruptCache() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        let (data, sha) = try Self.makeCheckpoint(in: dir)
        let name = "tiny-\(sha.prefix(8)).pth"
        try Data("corrupt".utf8).write(to: cache.appendingPathComponent(name))
        let server = try LoopbackHTTPServer(routes: ["/models/\(name)": .body(data)])
        defer { server.stop() }
        let result = try Self.mrcnn(["weights", "fetch", "--quiet", "--file", name, "--base-url", server.baseURL], cache: cache, in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("fails verification"), "stderr: \(result.stderr)")
        #expect(server.requests(for: "/models/\(name)") == 1)
        #expect(try Data(contentsOf: cache.appendingPathComponent(name)) == data)
        #expect(Self.contents(cache) == [name])
    }

    @Test("the base URL may come from MRCNN_WEIGHTS_BASE_URL")
    func baseURLFromEnvironment() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        let (data, sha) = try Self.makeCheckpoint(in: dir)
        let name = "env-\(sha.prefix(8)).safetensors"
        let server = try LoopbackHTTPServer(routes: ["/models/\(name)": .body(data)])
        defer { server.stop() }
        let result = try Self.mrcnn(["weights", "fetch", "--quiet", "--file", name], cache: cache,
                                    environment: ["MRCNN_WEIGHTS_BASE_URL": server.baseURL + "/"], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty, "stderr: \(result.stderr)")
        #expect(Self.contents(cache) == [name])
    }

    @Test("a name whose hash prefix does not match is refused and discarded")
    func wrongHash() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        let (data, sha) = try Self.makeCheckpoint(in: dir)
        let wrong = sha.hasPrefix("0badf00d") ? "1badf00d" : "0badf00d"
        let name = "tiny-\(wrong).pth"
        let server = try LoopbackHTTPServer(routes: ["/models/\(name)": .body(data)])
        defer { server.stop() }
        let result = try Self.mrcnn(["weights", "fetch", "--file", name, "--base-url", server.baseURL], cache: cache, in: dir)
        Self.expectOneLineError(result, "expected SHA-256 prefix \(wrong), got \(sha.prefix(8))", cache: cache)
    }

    @Test("HTTP 404 and 500 are one-line errors")
    func httpErrors() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        let server = try LoopbackHTTPServer(routes: ["/models/broken-12345678.pth": .status(500)])
        defer { server.stop() }
        let missing = try Self.mrcnn(["weights", "fetch", "--quiet", "--base-url", server.baseURL], cache: cache, in: dir)
        Self.expectOneLineError(missing, "HTTP 404", cache: cache)
        #expect(missing.stderr.contains("maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"))
        let broken = try Self.mrcnn(["weights", "fetch", "--quiet", "--file", "broken-12345678.pth", "--base-url", server.baseURL],
                                    cache: cache, in: dir)
        Self.expectOneLineError(broken, "HTTP 500", cache: cache)
    }

    @Test("a body cut short by the server is an error and leaves no partial file")
    func truncated() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        let (data, sha) = try Self.makeCheckpoint(in: dir)
        let name = "tiny-\(sha.prefix(8)).pth"
        let server = try LoopbackHTTPServer(routes: ["/models/\(name)": .truncated(data, sent: data.count / 2)])
        defer { server.stop() }
        let result = try Self.mrcnn(["weights", "fetch", "--file", name, "--base-url", server.baseURL], cache: cache, in: dir)
        Self.expectOneLineError(result, "http://127.0.0.1:\(server.port)/models/\(name)", cache: cache)
    }

    @Test("an HTML page (with a matching hash in its name) is not a checkpoint")
    func htmlPage() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        let page = Data("<!DOCTYPE html><html><body>Access denied</body></html>\n".utf8)
        let pageFile = dir.appendingPathComponent("page.html")
        try page.write(to: pageFile)
        let sha = try CLIHarness.run(CLIHarness.tool("sha256sum"), [pageFile.path], in: dir).stdout.prefix(8)
        let name = "page-\(sha).pth"
        let server = try LoopbackHTTPServer(routes: ["/models/\(name)": .body(page)])
        defer { server.stop() }
        let result = try Self.mrcnn(["weights", "fetch", "--file", name, "--base-url", server.baseURL], cache: cache, in: dir)
        Self.expectOneLineError(result, "is not a checkpoint", cache: cache)
    }

    @Test("refused connections, unknown models and unhashed names are one-line errors")
    func otherErrors() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        let server = try LoopbackHTTPServer(routes: [:])
        let closedPort = server.port
        server.stop()
        let refused = try Self.mrcnn(["weights", "fetch", "--base-url", "http://127.0.0.1:\(closedPort)/models"], cache: cache, in: dir)
        Self.expectOneLineError(refused, "127.0.0.1:\(closedPort)", cache: cache)
        let plain = try Self.mrcnn(["weights", "fetch", "--base-url", "http://mirror.example/models"], cache: cache, in: dir)
        Self.expectOneLineError(plain, "refusing plain http to 'http://mirror.example/models': use https, a loopback mirror, or --insecure-http", cache: cache)
        let unknown = try Self.mrcnn(["weights", "fetch", "resnet18"], cache: cache, in: dir)
        Self.expectOneLineError(unknown, "unknown model 'resnet18'", cache: cache)
        let unhashed = try Self.mrcnn(["weights", "fetch", "--file", "model.pth"], cache: cache, in: dir)
        Self.expectOneLineError(unhashed, "no torch.hub hash prefix", cache: cache)
    }

    @Test("list shows the five official checkpoints, their cache paths and state")
    func list() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try Data("not the real weights".utf8).write(to: cache.appendingPathComponent("keypointrcnn_resnet50_fpn_coco-fc266e95.pth"))
        let result = try Self.mrcnn(["weights", "list"], cache: cache, in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(whereSeparator: \.isNewline).map(String.init)
        #expect(lines.count == 6, "stdout: \(result.stdout)")
        #expect(lines.first == "cache directory: \(cache.path)")
        let mask = lines.first { $0.hasPrefix("maskrcnn_resnet50_fpn ") } ?? ""
        #expect(mask.contains(cache.appendingPathComponent("maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth").path) && mask.contains("missing"))
        let keypoint = lines.first { $0.hasPrefix("keypointrcnn_resnet50_fpn ") } ?? ""
        #expect(keypoint.contains("HASH MISMATCH") && keypoint.contains("expected fc266e95"), "stdout: \(result.stdout)")
    }
}
