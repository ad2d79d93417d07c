import Checkpoint
import Foundation
import Testing

/// What a new user hit (issue 11), through the binary as they would meet it.
@Suite("New-user fixes", .serialized)
struct NewUserTests {
    @Test("one-character output names work for run -o, --json and render -o")
    func oneCharacterOutputs() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("v.mp4"), seconds: 1, audio: false)
        let run = try CLIHarness.mrcnn(["run", "v.mp4", "-o", "o", "--stages", "render", "--json", "j"], in: dir)
        #expect(run.status == 0 && run.exitedNormally, "\(run.stderr)")
        #expect(try CLIHarness.probe(dir.appendingPathComponent("o"))["video"] == 25)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("j").path))
        let render = try CLIHarness.mrcnn(["render", "v.mp4", "--results", "j", "-o", "r"], in: dir)
        #expect(render.status == 0 && render.exitedNormally, "\(render.stderr)")

        // The same results drawn onto a video of another size: refused with one line, not misplaced boxes.
        try CLIHarness.makeClip(dir.appendingPathComponent("w.mp4"), seconds: 1, size: "320x240", audio: false)
        let other = try CLIHarness.mrcnn(["render", "w.mp4", "--results", "j", "-o", "r2.mp4"], in: dir)
        #expect(other.status != 0 && other.exitedNormally)
        #expect(other.stderr.contains("j: the results were computed on 160×120 frames, the video is 320×240"), "\(other.stderr)")
        #expect(other.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(other.stderr)")
    }

    @Test("--timing: every JSON Lines frame says the ms of decode, each stage and encode; the summary shows busy time")
    func perFrameTiming() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("v.mp4"), seconds: 1, audio: false)
        let run = try CLIHarness.mrcnn(["run", "v.mp4", "-o", "o.mp4", "--stages", "render", "--json", "j.jsonl", "--timing"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOf: dir.appendingPathComponent("j.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 25)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let timing = try #require(object["timing"] as? [String: Double], "\(line)")
            #expect(Set(timing.keys) == ["decode", "render", "encode"], "\(timing)")
            #expect(timing.values.allSatisfy { $0 >= 0 && $0.isFinite })
        }
        #expect(String(lines[0]).range(of: #""timing":\{"decode":[0-9.]+,"render":[0-9.]+,"encode":[0-9.]+\}"#,
                                       options: .regularExpression) != nil, "parts in pipeline order: \(lines[0])")
        #expect(run.stderr.contains("busy") && run.stderr.contains("render"), "\(run.stderr)")
        // Without --timing the lines carry no timing; --timing without --json is a one-line error.
        let plain = try CLIHarness.mrcnn(["run", "v.mp4", "-o", "p.mp4", "--stages", "render", "--json", "p.jsonl"], in: dir)
        let plainText = try String(contentsOf: dir.appendingPathComponent("p.jsonl"), encoding: .utf8)
        #expect(plain.status == 0 && !plainText.contains("timing"))
        let bad = try CLIHarness.mrcnn(["run", "v.mp4", "-o", "q.mp4", "--stages", "render", "--timing"], in: dir)
        #expect(bad.status != 0 && bad.stderr.contains("--timing adds per-frame timing to the JSON Lines: give --json FILE too"), "\(bad.stderr)")
    }

    @Test("image sequences as INPUT: a glob and a %04d pattern")
    func imageSequences() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let frames = try CLIHarness.run(CLIHarness.tool("ffmpeg"), ["-v", "error", "-f", "lavfi", "-i",
                                        "testsrc=size=64x48:rate=5:duration=1", "img_%04d.jpg"], in: dir)
        #expect(frames.status == 0)
        for input in ["img_*.jpg", "img_%04d.jpg"] {
            let run = try CLIHarness.mrcnn(["run", input, "-o", "seq.mp4", "--stages", "render"], in: dir)
            #expect(run.status == 0, "\(input): \(run.stderr)")
            #expect(try CLIHarness.probe(dir.appendingPathComponent("seq.mp4"))["video"] == 5, "\(input)")
        }
        let none = try CLIHarness.mrcnn(["run", "nothing_*.png", "-o", "x.mp4", "--stages", "render"], in: dir)
        #expect(none.status != 0 && none.stderrLines.count == 1 && none.stderr.contains("no image files match"), "\(none.stderr)")
    }

    @Test("a rotated phone video is written upright at its display size")
    func rotatedInput() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("stored.mp4"), seconds: 1, size: "96x64")
        let tag = try CLIHarness.run(CLIHarness.tool("ffmpeg"), ["-v", "error", "-i", "stored.mp4", "-c", "copy",
                                                                 "-metadata:s:v:0", "rotate=90", "phone.mp4"], in: dir)
        #expect(tag.status == 0)
        let run = try CLIHarness.mrcnn(["run", "phone.mp4", "-o", "out.mp4", "--stages", "render"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let size = try CLIHarness.run(CLIHarness.tool("ffprobe"), ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                      "stream=width,height:stream_side_data=rotation", "-of", "csv=p=0", "out.mp4"], in: dir)
        #expect(size.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "64,96", "\(size.stdout)")
    }

    static var root: URL { ModelCommandTests.root }

    @Test("detect: --classes keeps exactly the detections of those classes; --image-id-from-name takes COCO ids from names")
    func detectClassesAndImageIDs() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let image = dir.appendingPathComponent("000000000139.png")
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("samples/images/vtest_frame30.png"), to: image)
        func detect(_ extra: [String], _ out: String) throws -> [[String: Any]] {
            let result = try CLIHarness.mrcnn(["detect", image.path, "--weights", "seeded:0", "--min-size", "320",
                                               "--image-id-from-name", "--json", out] + extra, in: dir)
            #expect(result.status == 0, "\(result.stderr)")
            let data = try Data(contentsOf: dir.appendingPathComponent(out))
            return try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
        }
        let all = try detect([], "all.json")
        #expect(!all.isEmpty && all.allSatisfy { ($0["image_id"] as? Int) == 139 })
        // Seeded weights label at random: keep the most frequent class of the unfiltered run.
        let labels = all.compactMap { $0["category_id"] as? Int }
        let common = Dictionary(grouping: labels, by: { $0 }).max { $0.value.count < $1.value.count }?.key ?? 1
        let kept = try detect(["--classes", String(common)], "kept.json")
        #expect(kept.count == labels.filter { $0 == common }.count)
        #expect(kept.allSatisfy { ($0["category_id"] as? Int) == common })
    }

    @Test("a checkpoint of another model says which model it is and which flag takes it")
    func wrongModelFile() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        // Keypoint R-CNN's tensor names (tiny tensors: the file is recognised before any shape is checked).
        let layout = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent(
            "Tests/MaskRCNNTests/Fixtures/keypointrcnn_layout.json"))) as? [[String: Any]] ?? []
        let names = layout.compactMap { $0["checkpoint_name"] as? String }
        #expect(names.count > 300)
        var dict = StateDict()
        for name in names { dict.set(name, CheckpointTensor(shape: [1], values: [0])) }
        let weights = dir.appendingPathComponent("kp.safetensors")
        try SafetensorsWriter.write(dict, to: weights.path)
        try CLIHarness.makeClip(dir.appendingPathComponent("v.mp4"), seconds: 1, audio: false)
        let result = try CLIHarness.mrcnn(["run", "v.mp4", "-o", "o.mp4", "--stages", "detector,render", "--weights", weights.path], in: dir)
        #expect(result.status != 0 && result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("Keypoint R-CNN") && result.stderr.contains("--keypoint-weights"), "\(result.stderr)")
    }

    @Test("detect takes Keypoint R-CNN weights (recognised by their tensors) and writes COCO keypoint results")
    func detectKeypoints() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let layout = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent(
            "Tests/MaskRCNNTests/Fixtures/keypointrcnn_layout.json"))) as? [[String: Any]] ?? []
        let parameters = layout.compactMap { e -> (name: String, shape: [Int])? in
            guard let name = e["checkpoint_name"] as? String, let shape = e["shape"] as? [Int] else { return nil }
            return (name, shape)
        }
        let weights = dir.appendingPathComponent("kp.safetensors")
        try SafetensorsWriter.write(SeededWeights.stateDict(layout: parameters, seed: 0), to: weights.path)
        let image = Self.root.appendingPathComponent("samples/images/messi5.jpg").path
        let result = try CLIHarness.mrcnn(["detect", image, "--weights", weights.path, "--json", "k.json"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Keypoint R-CNN"), "the loaded model is named: \(result.stderr)")
        let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("k.json"))) as? [[String: Any]] ?? []
        #expect(!entries.isEmpty, "seeded Keypoint R-CNN weights gave no detection on messi5.jpg")
        for entry in entries {
            #expect(entry["category_id"] as? Int == 1 && entry["image_id"] as? Int == 1 && entry["score"] is Double)
            let keypoints = entry["keypoints"] as? [Double] ?? []
            #expect(keypoints.count == 51 && stride(from: 2, to: 51, by: 3).allSatisfy { [1.0, 2.0].contains(keypoints[$0]) })
            #expect(entry["segmentation"] == nil && (entry["bbox"] as? [Double])?.count == 4)
        }
    }

    @Test("scores outside 0…1 are one-line errors", arguments: [["run", "v.mp4", "-o", "x.mp4", "--score-threshold", "1.5"],
                                                              ["run", "v.mp4", "-o", "x.mp4", "--min-score=-1"],
                                                              ["detect", "v.png", "--json", "x.json", "--score-threshold", "2"],
                                                              ["run", "v.mp4", "-o", "x.mp4", "--classes", "unicorn"]])
    func scoreRange(arguments: [String]) throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let result = try CLIHarness.mrcnn(arguments, in: dir)
        #expect(result.status != 0 && result.exitedNormally, "\(arguments)")
        #expect(result.stderr.hasPrefix("mrcnn: error: ") && result.stderrLines.count == 1, "\(result.stderr)")
    }

    @Test("--version names the version, the commit and the compute kernels in use")
    func version() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let result = try CLIHarness.mrcnn(["--version"], in: dir)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("mrcnn ") && result.stdout.contains("sgemm") && result.stdout.contains("oneDNN ISA"),
                "\(result.stdout)")
    }
}
