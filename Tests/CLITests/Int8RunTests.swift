import Foundation
import Testing

/// `--precision int8` without `--calibration`: the tool says in one line that it measures on the input's first frames,
/// keeps the scales in its cache directory, and the next run of the same weights says it uses them; `auto` and the
/// `--target-fps` ladder then use int8 where they may.
@Suite("int8 runs without a calibration file", .serialized)
struct Int8RunTests {
    static let model = ["--weights", "seeded:0", "--min-size", "64", "--max-size", "96"]

    @Test("run measures once and keeps the scales; the next run, many streams and auto use them")
    func runWithoutCalibration() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let env = ["MRCNN_CACHE": dir.appendingPathComponent("cache").path]
        let input = dir.appendingPathComponent("clip.mp4"), other = dir.appendingPathComponent("other.mp4")
        try CLIHarness.makeClip(input, seconds: 1, size: "96x64", rate: 6, audio: false)
        try CLIHarness.makeClip(other, seconds: 1, size: "96x64", rate: 6, audio: false)
        let first = try CLIHarness.mrcnn(["run", input.path, "-o", dir.appendingPathComponent("a.mp4").path, "--precision", "int8"] + Self.model,
                                         in: dir, environment: env)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stderrLines.filter { $0.contains("int8:") }.count == 1, "stderr: \(first.stderr)")
        #expect(first.stderr.contains("mrcnn: int8: no calibration file given; measuring the scales on the first 16 frames of \(input.path)"), "stderr: \(first.stderr)")
        let kept = dir.appendingPathComponent("cache/int8/maskrcnn_resnet50_fpn-seeded-0-s64.json")
        #expect(FileManager.default.fileExists(atPath: kept.path))

        let again = try CLIHarness.mrcnn(["run", input.path, "-o", dir.appendingPathComponent("b.mp4").path, "--precision", "int8"] + Self.model,
                                         in: dir, environment: env)
        #expect(again.status == 0 && again.stderr.contains("mrcnn: int8: using the scales measured on 6 frames for these weights at short side 64"),
                "stderr: \(again.stderr)")

        // Auto without a ladder: int8 where the CPU has no bf16 units or oneDNN is capped below them (a calibration is
        // kept now), bf16 where it has them.
        let auto = try CLIHarness.mrcnn(["run", input.path, "-o", dir.appendingPathComponent("c.mp4").path, "--precision", "auto"] + Self.model,
                                        in: dir, environment: env)
        #expect(auto.status == 0, "stderr: \(auto.stderr)")
        #expect(auto.stderr.contains("precision auto: int8 (this CPU") != auto.stderr.contains("precision auto: bf16 (this CPU has bf16 units"),
                "stderr: \(auto.stderr)")
        // The ladder gets an int8 rung below fp32 (and bf16 where there is one).
        let json = dir.appendingPathComponent("d.jsonl")
        let ladder = try CLIHarness.mrcnn(["run", input.path, "-o", dir.appendingPathComponent("d.mp4").path, "--json", json.path, "--precision", "auto",
                                           "--target-fps", "1000", "--min-size-floor", "64"] + Self.model, in: dir, environment: env)
        #expect(ladder.status == 0, "stderr: \(ladder.stderr)")
        #expect(ladder.stderr.contains("precision auto: the ladder's first step is fp32 → int8 (this CPU")
                != ladder.stderr.contains("precision auto: the ladder's first step is fp32 → bf16, then → int8 (this CPU has bf16 units"),
                "stderr: \(ladder.stderr)")

        // Many streams: a new short side, so measured again, on the first frames of each stream.
        let many = try CLIHarness.mrcnn(["run", input.path, other.path, "-o", dir.appendingPathComponent("many").path + "/", "--precision", "int8",
                                         "--weights", "seeded:0", "--min-size", "96", "--max-size", "128"], in: dir, environment: env)
        #expect(many.status == 0, "stderr: \(many.stderr)")
        #expect(many.stderr.contains("int8: no calibration file given; measuring the scales on the first 8 frames of each of the 2 inputs"), "stderr: \(many.stderr)")

        // An explicit file of other weights: today's one-line refusal, nothing measured.
        let foreign = try CLIHarness.mrcnn(["run", input.path, "-o", dir.appendingPathComponent("e.mp4").path, "--precision", "int8",
                                            "--calibration", kept.path, "--weights", "seeded:1", "--min-size", "64"], in: dir, environment: env)
        #expect(foreign.status != 0 && foreign.stderrLines.count == 1, "stderr: \(foreign.stderr)")
        #expect(foreign.stderr.contains("the int8 calibration does not fit these weights"), "stderr: \(foreign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("e.mp4").path))
    }

    @Test("a live input in latest-frame mode: its calibration frames are read on its own connection and every one is processed")
    func liveCalibrationFramesAreProcessed() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let server = try LoopbackStream(udp: LoopbackStream.freePort(), size: "320x240", rate: 10)
        defer { server.kill() }
        let json = dir.appendingPathComponent("live.jsonl")
        let result = try CLIHarness.mrcnn(["run", server.url, "-o", dir.appendingPathComponent("live.mp4").path, "--json", json.path,
                                           "--stages", "detector,render", "--weights", "seeded:0", "--min-size", "320", "--max-frames", "30",
                                           "--read-timeout", "5", "--precision", "int8"], in: dir, timeout: 180,
                                          environment: ["MRCNN_CACHE": dir.appendingPathComponent("cache").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("int8: no calibration file given; measuring the scales on the first 16 frames of \(server.url) (live frames processed after)"),
                "\(result.stderr)")
        let frames = try CLIHarness.read(json).split(separator: "\n").compactMap { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["frame"] as? Int
        }
        #expect(frames.count >= 16 && Array(frames.prefix(16)) == Array(frames[0]..<frames[0] + 16), "\(frames)")
    }

    @Test("a bad input is the usual one-line error, and nothing is kept")
    func badInput() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let cache = dir.appendingPathComponent("cache")
        let broken = dir.appendingPathComponent("broken.mp4")
        try Data("not a video".utf8).write(to: broken)
        let result = try CLIHarness.mrcnn(["run", broken.path, "-o", dir.appendingPathComponent("o.mp4").path, "--precision", "int8"] + Self.model,
                                          in: dir, environment: ["MRCNN_CACHE": cache.path])
        #expect(result.status != 0, "stderr: \(result.stderr)")
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("mrcnn: error:"), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("int8/maskrcnn_resnet50_fpn-seeded-0-s64.json").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.mp4").path))
    }
}
