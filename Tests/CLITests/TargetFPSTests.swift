import Foundation
import Testing

/// `run --target-fps` and the RoI knobs from the command line: settings recorded in every JSON line, the
/// controller's report, one-line errors for bad values. No timing is asserted (the rate reached depends on load).
@Suite("mrcnn run --target-fps and RoI knobs", .serialized)
struct TargetFPSTests {
    @Test("run --target-fps records each frame's settings in the JSON Lines and reports what it settled on")
    func settingsInJSONLines() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4"), output = dir.appendingPathComponent("out.mp4")
        let json = dir.appendingPathComponent("out.jsonl")
        try CLIHarness.makeClip(input, seconds: 1, rate: 10, audio: false)
        let result = try CLIHarness.mrcnn(["run", input.path, "-o", output.path, "--json", json.path, "--weights", "seeded:0",
                                           "--min-size", "128", "--max-size", "200", "--score-threshold", "0.05",
                                           "--target-fps", "1000", "--min-size-floor", "96"], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("10 frames"))
        #expect(result.stderr.contains("target: 1000.00 fps (throughput); settled on precision fp32, short side"))
        #expect(result.stderr.contains("model: computing"))
        let lines = CLIHarness.read(json).split(separator: "\n").map(String.init)
        #expect(lines.count == 10)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let settings = object?["settings"] as? [String: Any]
            #expect(settings?["precision"] as? String == "fp32", "\(line.prefix(200))")
            #expect([128, 96].contains(settings?["short_side"] as? Int), "\(line.prefix(200))")
            #expect([1000, 300].contains(settings?["proposals"] as? Int))
            #expect([1, 2, 3].contains(settings?["keyframe_interval"] as? Int))
            #expect(settings?.count == 4)
        }
        // Without --target-fps the lines carry no settings (the schema of a plain run is unchanged).
        let plain = try CLIHarness.mrcnn(["run", input.path, "-o", output.path, "--json", json.path, "--weights", "seeded:0",
                                          "--min-size", "128", "--max-size", "200", "--max-frames", "2",
                                          "--proposals", "50", "--detections", "5", "--score-threshold", "0.05"], in: dir)
        #expect(plain.status == 0, "stderr: \(plain.stderr)")
        let plainLines = CLIHarness.read(json).split(separator: "\n")
        #expect(plainLines.count == 2 && plainLines.allSatisfy { !$0.contains("\"settings\"") })
        for line in plainLines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(((object?["instances"] as? [Any])?.count ?? 99) <= 5, "--detections 5 keeps at most 5")
        }
    }

    @Test("bad values of the new flags are one-line errors", arguments: [
        (["run", "in.mp4", "-o", "o.mp4", "--target-fps", "0"], "--target-fps must be a positive number"),
        (["run", "in.mp4", "-o", "o.mp4", "--target-fps", "5", "--min-size-floor", "8"], "--min-size-floor must be at least 32"),
        (["run", "in.mp4", "-o", "o.mp4", "--proposals", "0"], "--proposals must be an integer ≥ 1 (got '0')"),
        (["run", "in.mp4", "-o", "o.mp4", "--detections", "0"], "--detections must be an integer ≥ 1 (got '0')"),
        (["run", "in.mp4", "-o", "o.mp4", "--weights", "seeded:0", "--option", "mask.min-score=2"], "mask.min-score"),
        (["detect", "a.png", "--json", "o.json", "--proposals", "0"], "--proposals must be an integer ≥ 1 (got '0')"),
        (["detect", "a.png", "--json", "o.json", "--detections", "0"], "--detections must be an integer ≥ 1 (got '0')"),
    ])
    func badValues(arguments: [String], message: String) throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("in.mp4"), seconds: 1, audio: false)
        let result = try CLIHarness.mrcnn(arguments, in: dir)
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1 && result.stderr.contains(message), "stderr: \(result.stderr)")
    }

    @Test("--precision auto under --target-fps: fp32 first, bf16 as the first step only on a CPU with bf16 units, and the summary says which")
    func precisionAuto() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4"), output = dir.appendingPathComponent("out.mp4")
        let json = dir.appendingPathComponent("out.jsonl")
        try CLIHarness.makeClip(input, seconds: 1, rate: 6, audio: false)
        let result = try CLIHarness.mrcnn(["run", input.path, "-o", output.path, "--json", json.path, "--weights", "seeded:0",
                                           "--min-size", "128", "--max-size", "200", "--precision", "auto",
                                           "--target-fps", "1000", "--min-size-floor", "96"], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let units = result.stderr.contains("precision auto: the ladder's first step is fp32 → bf16 (this CPU has bf16 units")
        let none = result.stderr.contains("precision auto: fp32 on every rung: this CPU")   // none, or out of oneDNN's reach
        #expect(units != none, "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("warning: bf16"), "auto never asks for bf16 where it would only warn")
        let precisions = try CLIHarness.read(json).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (object?["settings"] as? [String: Any])?["precision"] as? String
        }
        #expect(precisions.count == 6)
        #expect(precisions.first == "fp32", "rung 0 is fp32")
        #expect(precisions.allSatisfy { $0 == "fp32" || (units && $0 == "bf16") }, "\(precisions)")
        let bad = try CLIHarness.mrcnn(["run", input.path, "-o", output.path, "--weights", "seeded:0", "--precision", "fp16"], in: dir)
        #expect(bad.status != 0 && bad.stderr.contains("fp32, bf16, int8, auto or bf16-emulated"), "stderr: \(bad.stderr)")
    }

    @Test("--target-fps without a model stage is refused in one line")
    func needsModel() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("in.mp4")
        try CLIHarness.makeClip(input, seconds: 1, audio: false)
        let result = try CLIHarness.mrcnn(["run", input.path, "-o", dir.appendingPathComponent("o.mp4").path,
                                           "--stages", "render", "--target-fps", "5"], in: dir)
        #expect(result.status != 0)
        #expect(result.stderr.contains("--target-fps needs a stage that takes frame settings to adjust (detector or keypoints)"), "stderr: \(result.stderr)")
    }
}
