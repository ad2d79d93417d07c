import Foundation
import Results
import Testing

/// Examples/TrackToJSON is a package of its own that depends on this one's `Job` product: it builds, and runs
/// detector → mask → tracker over a generated clip (seeded weights, small input), writing JSON Lines.
@Suite("example package", .serialized)
struct ExamplePackageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs a command to its end (output to files, so a chatty build cannot fill a pipe); status and output.
    static func run(_ arguments: [String], in dir: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = dir
        let log = dir.appendingPathComponent("log-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    @Test("the example builds against the package's products and tracks a clip into JSON Lines")
    func buildsAndRuns() throws {
        let dir = try VideoJobTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try VideoJobTests.makeClip(in: dir, frames: 4, size: "160x120")
        // A scratch path of its own that survives runs (like .build), so later runs build incrementally. Debug: it
        // compiles faster, and the numeric targets are optimised in every configuration anyway.
        let scratch = Self.root.appendingPathComponent(".build-examples").path
        let build = try Self.run(["swift", "build", "--package-path",
                                  Self.root.appendingPathComponent("Examples/TrackToJSON").path, "--scratch-path", scratch], in: dir)
        #expect(build.status == 0, "\(build.output.suffix(3000))")
        guard build.status == 0 else { return }
        let json = dir.appendingPathComponent("out.jsonl")
        let tool = URL(fileURLWithPath: scratch).appendingPathComponent("debug/track-to-json").path
        let run = try Self.run([tool, clip.path, json.path, "seeded:0", "128", "0.05"], in: dir)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("4 frames"))
        let frames = try ResultsReader.load(path: json.path)
        #expect(frames.map(\.frame) == [0, 1, 2, 3])
        let instances = frames.flatMap(\.instances)
        #expect(!instances.isEmpty, "seeded weights at score 0.05 detect something")
        #expect(instances.contains { $0.mask != nil } && instances.contains { $0.trackID != nil })
    }
}
