import Foundation
import Testing

/// The example external plugin (Plugins/External/PersonBlur) is built as its own package against the plugin API,
/// loaded into the CLI with --plugin, used by name in --stages, and changes the output; bad plugins are refused.
@Suite("external plugins", .serialized)
struct ExternalPluginTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Builds the example plugin (optionally pretending to target another API version) into `dir`.
    static func buildPlugin(into dir: URL, fakeOldAPI: Bool = false) throws -> URL {
        var args = ["swift", "build", "-c", "release", "--package-path",
                    root.appendingPathComponent("Plugins/External/PersonBlur").path, "--scratch-path", dir.path]
        if fakeOldAPI { args += ["-Xswiftc", "-DMRCNN_PLUGIN_FAKE_OLD_API"] }
        let result = try CLIHarness.run(URL(fileURLWithPath: "/usr/bin/env"), args, in: dir.deletingLastPathComponent(), timeout: 600)
        guard result.status == 0 else { throw CLIHarness.Failure(description: "plugin build failed: \(result.stderr)\(result.stdout)") }
        return dir.appendingPathComponent("release/libPersonBlur.so")
    }

    /// Raw RGB24 of every frame of a video.
    static func frames(_ video: URL) throws -> Data {
        let out = video.deletingPathExtension().appendingPathExtension("rgb")
        let r = try CLIHarness.run(CLIHarness.tool("ffmpeg"), ["-v", "error", "-y", "-i", video.path, "-f", "rawvideo",
                                                               "-pix_fmt", "rgb24", out.path], in: video.deletingLastPathComponent())
        guard r.status == 0 else { throw CLIHarness.Failure(description: r.stderr) }
        return try Data(contentsOf: out)
    }

    @Test("the example plugin builds, loads, registers `blur` and changes the pixels")
    func loadsAndActs() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let plugin = try Self.buildPlugin(into: dir.appendingPathComponent("build"))
        let listed = try CLIHarness.mrcnn(["stages", "--plugin", plugin.path], in: dir)
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("blur (needs boxes)"))
        #expect(listed.stdout.contains("--option blur.radius=INT"))

        let input = dir.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(input, seconds: 1, audio: false)
        let model = ["--weights", "seeded:0", "--min-size", "128", "--max-size", "200", "--score-threshold", "0.05", "--max-frames", "3"]
        let plain = dir.appendingPathComponent("plain.mp4"), blurred = dir.appendingPathComponent("blurred.mp4")
        let a = try CLIHarness.mrcnn(["run", input.path, "-o", plain.path, "--stages", "detector"] + model, in: dir)
        let b = try CLIHarness.mrcnn(["run", input.path, "-o", blurred.path, "--plugin", plugin.path,
                                      "--stages", "detector,blur", "--option", "blur.classes=all"] + model, in: dir)
        #expect(a.status == 0, "stderr: \(a.stderr)")
        #expect(b.status == 0, "stderr: \(b.stderr)")
        #expect(b.stderr.contains("blur"))
        let pa = try Self.frames(plain), pb = try Self.frames(blurred)
        #expect(pa.count == pb.count && pa.count == 160 * 120 * 3 * 3)
        let changed = zip(pa, pb).filter { abs(Int($0) - Int($1)) > 8 }.count
        #expect(changed > 1000, "blur changed only \(changed) bytes")
    }

    @Test("a plugin built for another API version is refused in one line")
    func wrongVersion() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let plugin = try Self.buildPlugin(into: dir.appendingPathComponent("build-old"), fakeOldAPI: true)
        let r = try CLIHarness.mrcnn(["stages", "--plugin", plugin.path], in: dir)
        #expect(r.status != 0)
        #expect(r.stderrLines.count == 1)
        #expect(r.stderr.contains("plugin API version"))
    }

    @Test("not a .so, or a library without the entry points, is refused in one line",
          arguments: ["text", "library", "missing"])
    func badPluginFiles(kind: String) throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        var path = dir.appendingPathComponent("plugin.so").path
        switch kind {
        case "text": try Data("not a library".utf8).write(to: URL(fileURLWithPath: path))
        case "library":
            let candidates = ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/aarch64-linux-gnu/libz.so.1"]
            path = candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
        default: break
        }
        let r = try CLIHarness.mrcnn(["stages", "--plugin", path], in: dir)
        #expect(r.status != 0)
        #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("mrcnn: error: plugin "))
    }
}
