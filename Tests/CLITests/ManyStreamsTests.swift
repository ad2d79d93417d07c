import Foundation
import Testing

/// The lines of a JSON Lines file, each parsed.
private func records(_ url: URL) -> [[String: Any]] {
    CLIHarness.read(url).split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

@Suite("mrcnn run with many sources: one model, fair batches, per-stream outputs (loopback only)")
struct ManyStreamsTests {
    /// A new directory with a.mp4 (2 s, 160×120, 10 fps) and b.mp4 (1 s, 224×160, 15 fps, with audio).
    static func twoClips() throws -> URL {
        let dir = try CLIHarness.makeTemporaryDirectory()
        try CLIHarness.makeClip(dir.appendingPathComponent("a.mp4"), seconds: 2, size: "160x120", rate: 10, audio: false)
        try CLIHarness.makeClip(dir.appendingPathComponent("b.mp4"), seconds: 1, size: "224x160", rate: 15, audio: true)
        return dir
    }

    @Test("a bad second source, a name given twice or several inputs without -o DIR/ are one-line errors; nothing is written")
    func badSources() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("a.mp4"), seconds: 1, audio: false)
        let cases: [([String], String)] = [
            (["run", "a.mp4", "missing.mp4", "-o", "out/", "--stages", "render"], "mrcnn: error: missing.mp4: no such file"),
            (["run", "x=a.mp4", "x=a.mp4", "-o", "out/", "--stages", "render"], "mrcnn: error: two streams are named 'x'"),
            (["run", "a.mp4", "a.mp4", "-o", "o.mp4", "--stages", "render"], "mrcnn: error: inputs run together write DIR/NAME.mp4"),
            (["run", "a.mp4", "b=a.mp4", "-o", "out/", "--stages", "render", "--precision", "fp16"], "mrcnn: error:"),
            (["run", "a.mp4", "b=a.mp4", "-o", "out/", "--stages", "render", "--shard", "0/2"], "mrcnn: error: --shard needs"),
            (["run", "a.mp4", "b=a.mp4", "-o", "out/", "--stages", "render", "--stream-option", "c.weight=2"],
             "mrcnn: error: --stream-option c.weight=2: no such stream (streams: "),
            (["run", "a.mp4", "b=a.mp4", "-o", "out/", "--stages", "render", "--stream-option", "b.weight=0"],
             "mrcnn: error: --stream-option b.weight=0: the value must be an integer ≥ 1"),
            (["run", "a.mp4", "b=a.mp4", "-o", "out/", "--stages", "render", "--stream-option", "b.speed=2"],
             "mrcnn: error: --stream-option b.speed=2: no such option (target-fps, weight)"),
            (["run", "a.mp4", "-o", "o.mp4", "--stages", "render", "--stream-option", "a.weight=2"],
             "mrcnn: error: --stream-option a.weight=2: per-stream options need inputs run together"),
        ]
        for (arguments, expected) in cases {
            let result = try CLIHarness.mrcnn(arguments, in: dir, timeout: 60)
            #expect(result.status != 0)
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix(expected), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
        }
    }

    @Test("two files together: each stream's JSON Lines is byte for byte a run of that file alone, tracker included; the combined file says which stream")
    func filesTogetherMatchAlone() throws {
        let dir = try Self.twoClips()
        defer { CLIHarness.cleanUp(dir) }
        let chain = ["--stages", "detector,tracker,render", "--weights", "seeded:0", "--min-size", "96", "--score-threshold", "0.05"]
        for name in ["a", "b"] {
            let alone = try CLIHarness.mrcnn(["run", "\(name).mp4", "-o", "\(name)-alone.mp4", "--json", "\(name)-alone.jsonl"] + chain, in: dir)
            #expect(alone.status == 0, "\(alone.stderr)")
        }
        let together = try CLIHarness.mrcnn(["run", "a.mp4", "second=b.mp4", "-o", "out/", "--json", "all.jsonl"] + chain, in: dir)
        #expect(together.status == 0, "\(together.stderr)")
        #expect(together.stderr.contains("2 streams, 35 frames"), "\(together.stderr)")
        for (name, stream) in [("a", "a"), ("b", "second")] {
            let alone = CLIHarness.read(dir.appendingPathComponent("\(name)-alone.jsonl"))
            #expect(!alone.isEmpty && CLIHarness.read(dir.appendingPathComponent("out/\(stream).jsonl")) == alone, "\(stream)")
            let probe = try CLIHarness.probe(dir.appendingPathComponent("out/\(stream).mp4"))
            #expect(probe["video"] == (name == "a" ? 20 : 15))
            #expect(name == "a" || probe["audio"] ?? 0 > 0, "the file's audio is copied")
        }
        let combined = records(dir.appendingPathComponent("all.jsonl"))
        #expect(combined.count == 35)
        #expect(Set(combined.compactMap { $0["stream"] as? String }) == ["a", "second"])
        #expect(combined.filter { $0["stream"] as? String == "second" }.allSatisfy { $0["width"] as? Int == 224 })
    }

    @Test("--stream-option: a stream's own frame-rate target drives its controller alone; a weight is taken")
    func streamOptions() throws {
        let dir = try Self.twoClips()
        defer { CLIHarness.cleanUp(dir) }
        let run = try CLIHarness.mrcnn(["run", "a.mp4", "b.mp4", "-o", "out/", "--stages", "detector,render", "--weights", "seeded:0",
                                        "--min-size", "96", "--stream-option", "a.target-fps=100", "--stream-option", "b.weight=2"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let a = records(dir.appendingPathComponent("out/a.jsonl")), b = records(dir.appendingPathComponent("out/b.jsonl"))
        #expect(a.count == 20 && b.count == 15)
        #expect(a.allSatisfy { $0["settings"] != nil }, "the stream with a target records its settings")
        #expect(b.allSatisfy { $0["settings"] == nil }, "the stream without one runs at fixed settings")
    }

    @Test("four streams: two files, a live stream that drops and comes back, one that starts 3 s late; each keeps to its own outputs")
    func fourStreams() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("small.mp4"), seconds: 3, size: "160x120", rate: 10, audio: false)
        try CLIHarness.makeClip(dir.appendingPathComponent("wide.mp4"), seconds: 2, size: "256x144", rate: 15, audio: false)
        let dropPort = LoopbackStream.freePort(), latePort = LoopbackStream.freePort()
        var dropping = try LoopbackStream(http: dropPort, size: "192x144", rate: 8)
        let lateURL = "http://127.0.0.1:\(latePort)/live.ts"
        let out = dir.appendingPathComponent("out")
        let (process, _, err) = try CLIHarness.launch(binary, [
            "run", "small.mp4", "cam=\(dropping.url)", "late=\(lateURL)", "wide.mp4", "-o", "out/", "--json", "all.jsonl",
            "--stages", "detector,tracker,render", "--weights", "seeded:0", "--min-size", "96", "--score-threshold", "0.05",
            "--read-timeout", "3", "--reconnect-timeout", "60", "--batch-size", "4"], in: dir)
        defer { if process.isRunning { process.terminate() } }
        func lines(_ name: String) -> Int { CLIHarness.read(out.appendingPathComponent("\(name).jsonl")).split(separator: "\n").count }
        Thread.sleep(forTimeInterval: 3)
        let late = try LoopbackStream(http: latePort, size: "176x144", rate: 6)
        defer { late.kill() }
        #expect(waitFor(60) { lines("cam") >= 5 }, "\(CLIHarness.read(err))")
        dropping.kill()
        #expect(waitFor(30) { CLIHarness.read(err).contains("connection lost") }, "\(CLIHarness.read(err))")
        let others = (lines("small"), lines("wide"), lines("late"))
        dropping = try LoopbackStream(http: dropPort, size: "192x144", rate: 8)
        defer { dropping.kill() }
        #expect(waitFor(60) { CLIHarness.read(err).contains("reconnected after") }, "\(CLIHarness.read(err))")
        let camBefore = lines("cam")
        // The files run to their ends; every live stream keeps going after the reconnect.
        #expect(waitFor(120) { lines("small") == 30 && lines("wide") == 30 && lines("late") >= 5 && lines("cam") >= camBefore + 5 },
                "\(CLIHarness.read(err))")
        process.interrupt()
        try CLIHarness.wait(process, timeout: 60)
        let stderr = CLIHarness.read(err)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("4 streams"), "\(stderr)")
        // While the camera was away, the other streams went on (facts, not rates: they grew).
        #expect(lines("small") + lines("wide") + lines("late") > others.0 + others.1 + others.2)
        let sizes = ["small": (160, 120), "cam": (192, 144), "late": (176, 144), "wide": (256, 144)]
        let combined = records(dir.appendingPathComponent("all.jsonl"))
        for (name, size) in sizes {
            let own = records(out.appendingPathComponent("\(name).jsonl"))
            let frames = try CLIHarness.probe(out.appendingPathComponent("\(name).mp4"))["video"] ?? 0
            #expect(frames > 0 && own.count == frames, "\(name): \(own.count) lines, \(frames) frames")
            // Only its own frames: its size, its frame numbers and times rising, and the same lines in the combined file.
            #expect(own.allSatisfy { $0["width"] as? Int == size.0 && $0["height"] as? Int == size.1 }, "\(name)")
            let indices = own.compactMap { $0["frame"] as? Int }, times = own.compactMap { $0["time"] as? Double }
            #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 } && zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
            let mine = combined.filter { $0["stream"] as? String == name }
            #expect(mine.compactMap { $0["frame"] as? Int } == indices, "\(name)")
        }
        #expect(lines("small") == 30 && lines("wide") == 30)
        // Track ids are each stream's own: numbered from 1 in every stream that confirmed a track, as a run alone does.
        for name in sizes.keys {
            let ids = records(out.appendingPathComponent("\(name).jsonl")).flatMap { ($0["instances"] as? [[String: Any]] ?? []).compactMap { $0["track_id"] as? Int } }
            if !ids.isEmpty { #expect(ids.min() == 1, "\(name)") }
        }
    }
}
