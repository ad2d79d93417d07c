import Foundation
import Results
import Testing

/// A package of someone else's that depends on mrcnn **by version**, as a new user's would: the working tree is
/// committed into a git repository of its own and tagged 99.0.N, and a consumer package with
/// `.package(url: "file://…", from: "99.0.0")` builds Examples/TrackToJSON's source against the `Job` and
/// `MaskRCNN` products, then runs detector → mask → tracker over a generated clip (seeded weights, small input).
/// This fails if the manifest has a path dependency or `unsafeFlags` (SwiftPM refuses both in a versioned package).
@Suite("consumer package", .serialized)
struct ConsumerPackageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// Kept between runs (ignored by git, like .build), so later runs resolve and build incrementally.
    static let base = root.appendingPathComponent(".build-consumer")

    /// Runs a command to its end (output to a file, so a chatty build cannot fill a pipe); status and output.
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
        defer { try? FileManager.default.removeItem(at: log) }
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// Runs `arguments`, failing with their output when they fail.
    @discardableResult
    static func must(_ arguments: [String], in dir: URL) throws -> String {
        let result = try run(arguments, in: dir)
        guard result.status == 0 else {
            throw CLIFailure(description: "\(arguments.joined(separator: " ")): \(result.output.suffix(3000))")
        }
        return result.output
    }

    struct CLIFailure: Error, CustomStringConvertible { let description: String }

    /// Commits the working tree (tracked and untracked files, .gitignore honoured) into the origin repository and
    /// tags the commit with the next 99.0.N; returns the origin's URL.
    static func publishWorkingTree() throws -> URL {
        let origin = base.appendingPathComponent("mrcnn")   // the URL's last component names the package
        let git = ["git", "--git-dir", origin.appendingPathComponent(".git").path, "--work-tree", root.path,
                   "-c", "user.name=consumer test", "-c", "user.email=consumer@localhost", "-c", "commit.gpgsign=false"]
        if !FileManager.default.fileExists(atPath: origin.appendingPathComponent(".git").path) {
            try FileManager.default.createDirectory(at: origin, withIntermediateDirectories: true)
            try must(["git", "init", "-q", origin.path], in: base)
        }
        try must(git + ["add", "-A"], in: base)
        try must(git + ["commit", "-q", "--allow-empty", "-m", "snapshot of the working tree"], in: base)
        let tags = try must(git + ["tag", "--list", "99.0.*"], in: base).split(separator: "\n").count
        try must(git + ["tag", "99.0.\(tags)"], in: base)
        return origin
    }

    @Test("a package depending on mrcnn by url + from: resolves, builds and runs the model")
    func buildsAndRuns() throws {
        try FileManager.default.createDirectory(at: Self.base, withIntermediateDirectories: true)
        let origin = try Self.publishWorkingTree()
        let consumer = Self.base.appendingPathComponent("consumer")
        let sources = consumer.appendingPathComponent("Sources/track-to-json")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        let manifest = """
            // swift-tools-version: 6.2
            import PackageDescription

            let package = Package(
                name: "Consumer",
                dependencies: [.package(url: "file://\(origin.path)", from: "99.0.0")],
                targets: [
                    .executableTarget(name: "track-to-json", dependencies: [
                        .product(name: "Job", package: "mrcnn"), .product(name: "MaskRCNN", package: "mrcnn"),
                    ]),
                ]
            )

            """
        try Data(manifest.utf8).write(to: consumer.appendingPathComponent("Package.swift"))
        let example = Self.root.appendingPathComponent("Examples/TrackToJSON/Sources/TrackToJSON/main.swift")
        let main = sources.appendingPathComponent("main.swift")
        if (try? Data(contentsOf: main)) != (try Data(contentsOf: example)) {
            try? FileManager.default.removeItem(at: main)
            try FileManager.default.copyItem(at: example, to: main)
        }
        let scratch = Self.base.appendingPathComponent("scratch").path
        try Self.must(["swift", "package", "update", "--package-path", consumer.path, "--scratch-path", scratch], in: Self.base)
        // Release: the model is only fast optimised (the package sets no optimisation flags of its own).
        let build = try Self.run(["swift", "build", "-c", "release", "--package-path", consumer.path, "--scratch-path", scratch],
                                 in: Self.base)
        #expect(build.status == 0, "\(build.output.suffix(3000))")
        guard build.status == 0 else { return }

        let dir = try VideoJobTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try VideoJobTests.makeClip(in: dir, frames: 4, size: "160x120")
        let json = dir.appendingPathComponent("out.jsonl")
        let tool = URL(fileURLWithPath: scratch).appendingPathComponent("release/track-to-json").path
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
