import Foundation
import Testing

/// The example external plugin (Plugins/External/PersonBlur) is built as its own package against the plugin API,
/// loaded into the CLI with --plugin, used by name in --stages, and changes the output; bad plugins are refused.
@Suite("external plugins", .serialized)
struct ExternalPluginTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Builds an external plugin package (by default the PersonBlur example, optionally pretending to target
    /// another API version) into `dir`.
    static func buildPlugin(into dir: URL, package: String = "PersonBlur", fakeOldAPI: Bool = false) throws -> URL {
        var args = ["swift", "build", "-c", "release", "--package-path",
                    root.appendingPathComponent("Plugins/External/\(package)").path, "--scratch-path", dir.path]
        if fakeOldAPI { args += ["-Xswiftc", "-DMRCNN_PLUGIN_FAKE_OLD_API"] }
        let result = try CLIHarness.run(URL(fileURLWithPath: "/usr/bin/env"), args, in: dir.deletingLastPathComponent(), timeout: 600)
        guard result.status == 0 else { throw CLIHarness.Failure(description: "plugin build failed: \(result.stderr)\(result.stdout)") }
        return dir.appendingPathComponent("release/lib\(package).so")
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

    @Test("a plugin built against the plugin API alone takes part in --target-fps: its frames carry the settings it applied")
    func takesPartInTargetFPS() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let plugin = try Self.buildPlugin(into: dir.appendingPathComponent("build-probe"), package: "SettingsProbe")
        let input = dir.appendingPathComponent("clip.mp4"), json = dir.appendingPathComponent("out.jsonl")
        try CLIHarness.makeClip(input, seconds: 2, rate: 10, audio: false)
        // 10 ms a frame at 480 px can never hold 1000 fps: the controller must step down the probe's short side.
        let r = try CLIHarness.mrcnn(["run", input.path, "-o", dir.appendingPathComponent("out.mp4").path, "--json", json.path,
                                      "--plugin", plugin.path, "--stages", "probe", "--option", "probe.cost-ms=10",
                                      "--target-fps", "1000", "--min-size-floor", "96"], in: dir)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("target: 1000.00 fps (throughput); settled on short side"), "stderr: \(r.stderr)")
        let sides = try CLIHarness.read(json).split(separator: "\n").map { line -> (asked: Int?, applied: Int?) in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let asked = (object?["settings"] as? [String: Any])?["short_side"] as? Int
            let box = ((object?["instances"] as? [[String: Any]])?.first?["bbox"] as? [Double])
            return (asked, box.map { Int($0[2]) })
        }
        #expect(sides.count == 20)
        #expect(sides.allSatisfy { $0.asked != nil && $0.asked == $0.applied }, "\(sides)")
        #expect(sides.first?.asked == 480, "rung 0 is the stage's own option")
        #expect(sides.contains { ($0.asked ?? 480) < 480 }, "the controller stepped the plugin's short side down")
        // Without the settings trait there is nothing to adjust: the refusal names the stages that take settings.
        let none = try CLIHarness.mrcnn(["run", input.path, "-o", dir.appendingPathComponent("o2.mp4").path, "--stages", "render",
                                         "--plugin", plugin.path, "--target-fps", "5"], in: dir)
        #expect(none.status != 0 && none.stderr.contains("(detector or keypoints or probe)"), "stderr: \(none.stderr)")
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
