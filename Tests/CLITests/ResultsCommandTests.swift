import Foundation
import Testing

@Suite("mrcnn run results files and mrcnn render", .serialized)
struct ResultsCommandTests {
    static let model = ["--weights", "seeded:0", "--min-size", "128", "--max-size", "200", "--score-threshold", "0.3"]

    /// Decoded RGB24 frames of a video.
    static func decodedFrames(_ url: URL, width: Int, height: Int) throws -> [[UInt8]] {
        let raw = url.deletingPathExtension().appendingPathExtension("rgb")
        let result = try CLIHarness.run(CLIHarness.tool("ffmpeg"), ["-v", "error", "-y", "-i", url.path, "-map", "0:v",
                                                                   "-f", "rawvideo", "-pix_fmt", "rgb24", raw.path],
                                        in: url.deletingLastPathComponent())
        guard result.status == 0 else { throw CLIHarness.Failure(description: "ffmpeg decode failed: \(result.stderr)") }
        let bytes = [UInt8](try Data(contentsOf: raw)), size = width * height * 3
        return stride(from: 0, to: bytes.count - size + 1, by: size).map { Array(bytes[$0..<($0 + size)]) }
    }

    /// The largest difference between two frames' 8×8-block means, over blocks and channels. H.264 noise mostly
    /// averages out within a block (≤ 12 levels here between two encodes of identical frames), while a drawing
    /// that differs — one instance less, another track id — moves some block by 58 to 200 levels on this clip.
    static func blockDifference(_ a: [UInt8], _ b: [UInt8], width: Int, height: Int) -> Double {
        var worst = 0.0
        for by in stride(from: 0, to: height - 7, by: 8) {
            for bx in stride(from: 0, to: width - 7, by: 8) {
                for c in 0..<3 {
                    var sum = 0
                    for y in by..<(by + 8) {
                        for x in bx..<(bx + 8) { sum += Int(a[(y * width + x) * 3 + c]) - Int(b[(y * width + x) * 3 + c]) }
                    }
                    worst = max(worst, Double(abs(sum)) / 64)
                }
            }
        }
        return worst
    }

    static func lines(_ url: URL) -> [String] {
        CLIHarness.read(url).split(whereSeparator: \.isNewline).map(String.init)
    }

    @Test("run --json/--mot/--mots writes every frame; render from the JSON Lines redraws the same pixels")
    func runThenRender() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(input, seconds: 1, rate: 10, audio: false)
        let original = dir.appendingPathComponent("run.mp4"), json = dir.appendingPathComponent("run.jsonl")
        let mot = dir.appendingPathComponent("run.mot.txt"), mots = dir.appendingPathComponent("run.mots.txt")
        let run = try CLIHarness.mrcnn(["run", input.path, "-o", original.path, "--stages", "detector,mask,tracker,render",
                                        "--min-score", "0.3", "--json", json.path, "--mot", mot.path, "--mots", mots.path,
                                        "--min-hits", "2"] + Self.model, in: dir)
        #expect(run.status == 0, "stderr: \(run.stderr)")

        // JSON Lines: one object per frame, in order, with the documented fields.
        let records = try Self.lines(json).map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.count == 10)
        #expect(records.map { $0["frame"] as? Int } == (0..<10).map { $0 })
        let instances = records.flatMap { ($0["instances"] as? [[String: Any]]) ?? [] }
        #expect(!instances.isEmpty, "seeded weights gave no detections on the test clip")
        for instance in instances {
            #expect((instance["bbox"] as? [Double])?.count == 4)
            #expect(instance["category_id"] is Int && instance["category"] is String && instance["score"] is Double)
            let seg = try #require(instance["segmentation"] as? [String: Any])
            #expect(seg["size"] as? [Int] == [120, 160])
            #expect(seg["counts"] is String)
        }
        let tracked = instances.filter { $0["track_id"] is Int }
        #expect(!tracked.isEmpty, "no instance was tracked")

        // MOT: one line per tracked instance, 10 comma-separated fields, 1-based frames.
        let motLines = Self.lines(mot)
        #expect(motLines.count == tracked.count)
        for line in motLines {
            let fields = line.split(separator: ",")
            #expect(fields.count == 10 && (Int(fields[0]) ?? 0) >= 1 && fields[7...] == ["-1", "-1", "-1"])
        }
        // MOTS: frame id class_id height width rle.
        let motsLines = Self.lines(mots)
        #expect(!motsLines.isEmpty && motsLines.count <= tracked.count)
        for line in motsLines {
            let fields = line.split(separator: " ")
            #expect(fields.count == 6 && fields[3] == "120" && fields[4] == "160")
            #expect(["1", "2"].contains(fields[2]) || (Int(fields[2]) ?? 0) > 100, "MOTS class ids: 1 car, 2 pedestrian, others 100+")
        }

        // Re-render from the JSON Lines alone. The instances come back exactly (render's own --json reproduces
        // the file byte for byte: boxes, scores, RLE masks, track ids, order, frame alignment) ...
        let rerendered = dir.appendingPathComponent("render.mp4"), echoed = dir.appendingPathComponent("render.jsonl")
        let render = try CLIHarness.mrcnn(["render", input.path, "--results", json.path, "-o", rerendered.path,
                                           "--min-score", "0.3", "--json", echoed.path], in: dir)
        #expect(render.status == 0, "stderr: \(render.stderr)")
        #expect(try Data(contentsOf: echoed) == Data(contentsOf: json))
        // ... and so do the pixels. Both videos are H.264 of identical RGB frames and usually decode bit for bit
        // the same, but the in-process x264 encode of a model run is not always reproducible (two identical `run`s
        // can differ in their first frames by encoder noise), so frames must match up to that noise.
        let a = try Self.decodedFrames(original, width: 160, height: 120)
        let b = try Self.decodedFrames(rerendered, width: 160, height: 120)
        #expect(a.count == 10 && b.count == 10)
        let differences = zip(a, b).map { Self.blockDifference($0, $1, width: 160, height: 120) }
        print("render vs run: identical frames \(zip(a, b).filter { $0 == $1 }.count)/10, block differences \(differences)")
        #expect(differences.allSatisfy { $0 <= 24 }, "\(differences)")

        // A class filter that excludes everything draws the plain video.
        let plain = dir.appendingPathComponent("plain.mp4")
        let filtered = try CLIHarness.mrcnn(["render", input.path, "--results", json.path, "-o", plain.path,
                                             "--classes", "toothbrush"], in: dir)
        #expect(filtered.status == 0, "stderr: \(filtered.stderr)")
        let undrawn = try Self.decodedFrames(plain, width: 160, height: 120)
        #expect(zip(undrawn, a).allSatisfy { Self.blockDifference($0, $1, width: 160, height: 120) > 24 })

        // Results cut after frame 4 (as after Ctrl-C) and with timestamps in another time base (pts the video
        // never has): the first five frames are matched by time and drawn, the rest are copied undrawn.
        let partial = dir.appendingPathComponent("partial.jsonl"), cut = dir.appendingPathComponent("cut.mp4")
        let kept = Self.lines(json).prefix(5).map {
            $0.replacingOccurrences(of: #""pts":[0-9]+"#, with: #""pts":-7"#, options: .regularExpression)
        }
        #expect(kept.allSatisfy { $0.contains(#""pts":-7,"#) })
        try Data((kept.joined(separator: "\n") + "\n").utf8).write(to: partial)
        let cutRun = try CLIHarness.mrcnn(["render", input.path, "--results", partial.path, "-o", cut.path,
                                           "--min-score", "0.3"], in: dir)
        #expect(cutRun.status == 0, "stderr: \(cutRun.stderr)")
        let c = try Self.decodedFrames(cut, width: 160, height: 120)
        #expect(c.count == 10)
        #expect((0..<5).allSatisfy { Self.blockDifference(c[$0], a[$0], width: 160, height: 120) <= 24 })
        #expect((5..<10).allSatisfy { Self.blockDifference(c[$0], undrawn[$0], width: 160, height: 120) <= 24 })
    }

    @Test("render: a malformed results line is a one-line error with its line number")
    func malformedResults() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(input, seconds: 1, rate: 10, audio: false)
        let good = #"{"frame":0,"pts":0,"time":0.0,"instances":[{"bbox":[10,10,20,30],"category_id":1,"category":"person","score":0.9}]}"#
        let cases: [(String, Int, String)] = [
            (good + "\n" + good + "\n{\"frame\": 2, \"pts\": \n", 3, "malformed"),
            (good + "\n" + #"{"frame":1,"pts":1,"time":0.1,"instances":[{"bbox":[1,2,3],"category_id":1,"score":0.5}]}"#, 2, "bbox"),
            (#"{"frame":0,"pts":0,"time":0,"instances":[{"bbox":[1,2,3,4],"category_id":1,"score":0.5,"segmentation":{"size":[120,160],"counts":"x"}}]}"#, 1, "RLE"),
            (good + "\n\n" + #"{"frame":"one","pts":1,"time":0.1,"instances":[]}"#, 3, "frame"),
        ]
        for (text, line, reason) in cases {
            let results = dir.appendingPathComponent("bad.jsonl"), output = dir.appendingPathComponent("out.mp4")
            try Data(text.utf8).write(to: results)
            let result = try CLIHarness.mrcnn(["render", input.path, "--results", results.path, "-o", output.path], in: dir)
            #expect(result.status != 0)
            #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
            #expect(result.stderr.hasPrefix("mrcnn: error: \(results.path):\(line): "), "stderr: \(result.stderr)")
            #expect(result.stderr.contains(reason), "stderr: \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }

    @Test("SIGINT mid-run: the JSON Lines file holds exactly the frames written to the video")
    func interruptedResultsAreComplete() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("long.mp4"), output = dir.appendingPathComponent("out.mp4")
        let json = dir.appendingPathComponent("out.jsonl")
        try CLIHarness.makeClip(input, seconds: 60, size: "320x240", audio: false)
        let (process, _, err) = try CLIHarness.launch(binary, ["run", input.path, "-o", output.path, "--stages", "render",
                                                               "--json", json.path], in: dir)
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, !CLIHarness.read(err).contains("progress:"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        #expect(process.isRunning, "the run ended before it could be interrupted")
        process.interrupt()
        try CLIHarness.wait(process, timeout: 60)
        #expect(process.terminationStatus == 130, "stderr: \(CLIHarness.read(err))")
        let frames = try CLIHarness.probe(output)["video"] ?? 0
        let lines = Self.lines(json)
        #expect(frames >= 1 && frames < 1500)
        #expect(lines.count == frames)
        #expect(lines.last.map { $0.hasPrefix("{\"frame\":\(frames - 1),") } == true)
    }
}
