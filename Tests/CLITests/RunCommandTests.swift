import Foundation
import Testing

@Suite("mrcnn run", .serialized)
struct RunCommandTests {
    @Test("render-only run writes an MP4 with every frame and the audio copied")
    func renderOnly() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4"), output = dir.appendingPathComponent("out.mp4")
        try CLIHarness.makeClip(input, seconds: 2)
        let result = try CLIHarness.mrcnn(["run", input.path, "-o", output.path, "--stages", "render"], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("render"))
        #expect(result.stderr.contains("output: \(output.path)"))
        let counts = try CLIHarness.probe(output)
        #expect(counts["video"] == 50)
        #expect((counts["audio"] ?? 0) > 0)
    }

    @Test("--max-frames and --batch-size limit and batch a real detector/mask/render run (seeded weights)")
    func maxFramesAndBatches() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4"), output = dir.appendingPathComponent("out.mp4")
        try CLIHarness.makeClip(input, seconds: 1, audio: false)
        let result = try CLIHarness.mrcnn(["run", input.path, "-o", output.path, "--max-frames", "7",
                                           "--batch-size", "3", "--min-score", "0.3", "--weights", "seeded:0",
                                           "--min-size", "128", "--max-size", "200"], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("7 frames"))
        let counts = try CLIHarness.probe(output)
        #expect(counts["video"] == 7)
        #expect(counts["audio"] == nil)
    }

    @Test("SIGINT mid-run: exit 130, the MP4 is finalised and readable")
    func interrupt() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("long.mp4"), output = dir.appendingPathComponent("out.mp4")
        try CLIHarness.makeClip(input, seconds: 60, size: "320x240")
        let (process, _, err) = try CLIHarness.launch(binary, ["run", input.path, "-o", output.path, "--stages", "render"], in: dir)
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, !CLIHarness.read(err).contains("progress:"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        #expect(process.isRunning, "the run ended before it could be interrupted")
        process.interrupt()
        try CLIHarness.wait(process, timeout: 60)
        let stderr = CLIHarness.read(err)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130, "stderr: \(stderr)")
        #expect(stderr.contains("interrupted"))
        #expect(stderr.contains("ms/frame"))
        let counts = try CLIHarness.probe(output), full = try CLIHarness.probe(input)
        #expect((counts["video"] ?? 0) >= 1)
        #expect((counts["video"] ?? 0) < 1500)
        // The audio is cut to the video's length, not copied whole.
        #expect((counts["audio"] ?? 0) > 0)
        #expect((counts["audio"] ?? 0) < (full["audio"] ?? 0) / 2)
    }

    @Test("mrcnn stages lists the registered stages")
    func listsStages() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let result = try CLIHarness.mrcnn(["stages"], in: dir)
        #expect(result.status == 0)
        #expect(result.stdout.contains("render"))
        // Every declared option is listed as --option STAGE.OPTION=VALUE with its help, default and flag.
        for option in ["detector.weights=FILE|seeded:N", "detector.precision=fp32|bf16|int8|auto|bf16-emulated", "detector.score-threshold=FLOAT", "detector.min-size=INT",
                       "detector.detect-every=INT", "keypoints.keypoint-threshold=FLOAT", "tracker.max-age=INT",
                       "tracker.use-masks=BOOL", "render.min-score=FLOAT", "render.mask-alpha=FLOAT"] {
            #expect(result.stdout.contains("--option \(option)"), "\(option) not listed: \(result.stdout)")
        }
        #expect(result.stdout.contains("mask (needs boxes, maskrcnn features)"))
        #expect(result.stdout.contains("(default: 1000, or --proposals)") && result.stdout.contains("--track-boxes-only (sets false)"))
    }
}
