import Foundation
import Testing

/// Crash-safe outputs and `--resume`: a run killed with SIGKILL leaves a playable MP4 and whole JSON Lines, and
/// resuming it gives what an uninterrupted run gives (same JSON Lines bytes, same frames at the same timestamps).
@Suite("mrcnn run --resume", .serialized)
struct ResumeTests {
    /// Video packet pts (ffprobe, presentation order) and the audio packet count of `path`.
    static func packets(_ path: URL) throws -> (video: [Int], audio: Int) {
        let result = try CLIHarness.run(CLIHarness.tool("ffprobe"), ["-v", "error", "-show_entries", "packet=codec_type,pts",
                                                                      "-of", "csv=p=0", path.path], in: path.deletingLastPathComponent())
        guard result.status == 0 else { throw CLIHarness.Failure(description: "ffprobe failed: \(result.stderr)") }
        var video: [Int] = [], audio = 0
        for line in result.stdout.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",")
            if fields.first == "video", fields.count > 1, let pts = Int(fields[1]) { video.append(pts) }
            if fields.first == "audio" { audio += 1 }
        }
        return (video.sorted(), audio)
    }

    /// A test-only preload library (built once per test process with the C compiler): it passes every write(2)
    /// through and SIGKILLs the process right after the N-th complete line reaches a file ending in ".jsonl"
    /// (N from KILL_AFTER_LINES). The results writers write one line per frame in one write(2), after the video
    /// frame, so this is "killed after frame N" without any hook in the shipped binary.
    static let killer: Result<URL, CLIHarness.Failure> = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mrcnn-kill-after-\(getpid())")
        let source = dir.appendingPathComponent("kill_after_lines.c"), library = dir.appendingPathComponent("kill_after_lines.so")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(killerSource.utf8).write(to: source)
            let cc = try CLIHarness.run(CLIHarness.tool("cc"), ["-shared", "-fPIC", "-O2", "-o", library.path, source.path, "-ldl"], in: dir)
            guard cc.status == 0 else { return .failure(CLIHarness.Failure(description: "cc failed: \(cc.stderr)")) }
            return .success(library)
        } catch {
            return .failure(CLIHarness.Failure(description: "\(error)"))
        }
    }()

    static let killerSource = #"""
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <limits.h>
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        static long lines;
        ssize_t write(int fd, const void *buf, size_t n) {
            static ssize_t (*real)(int, const void *, size_t);
            if (!real) real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
            ssize_t r = real(fd, buf, n);
            const char *limit = getenv("KILL_AFTER_LINES");
            if (r <= 0 || !limit) return r;
            char link[64], path[PATH_MAX];
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t len = readlink(link, path, sizeof path - 1);
            if (len < 6) return r;
            path[len] = 0;
            if (strcmp(path + len - 6, ".jsonl") != 0) return r;
            long added = 0;
            for (ssize_t i = 0; i < r; i++) if (((const char *)buf)[i] == '\n') added++;
            if (__atomic_add_fetch(&lines, added, __ATOMIC_SEQ_CST) >= atol(limit)) kill(getpid(), SIGKILL);
            return r;
        }
        """#

    /// Runs `arguments` under the preload library, so the process is SIGKILLed once `killAfter` frames are written.
    static func killed(_ arguments: [String], after killAfter: Int, in dir: URL) throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["LD_PRELOAD": try killer.get().path, "KILL_AFTER_LINES": "\(killAfter)"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try CLIHarness.wait(process, timeout: 300)
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)
    }

    /// Kill after `killAfter` frames, check the partial outputs, resume, compare with an uninterrupted run.
    /// `partialVideo`: the killed MP4 must already hold frames (false when the kill comes before the encoder's
    /// lookahead has let any frame out, as with 11 frames; the resume then starts the video over).
    func killResumeCompare(stages: [String], seconds: Int, killAfter: Int, audio: Bool, partialVideo: Bool = true) throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(input, seconds: seconds, audio: audio)
        func arguments(_ name: String) -> [String] {
            ["run", input.path, "-o", dir.appendingPathComponent("\(name).mp4").path,
             "--json", dir.appendingPathComponent("\(name).jsonl").path] + stages
        }
        let whole = try CLIHarness.mrcnn(arguments("whole"), in: dir, timeout: 300)
        #expect(whole.status == 0, "stderr: \(whole.stderr)")

        try Self.killed(arguments("resumed"), after: killAfter, in: dir)
        let partial = dir.appendingPathComponent("resumed.mp4")
        let partialFrames = try Self.packets(partial).video.count
        #expect(!partialVideo || partialFrames > 0, "the killed run's MP4 holds no readable frame")
        #expect(partialFrames <= killAfter)
        let lines = CLIHarness.read(dir.appendingPathComponent("resumed.jsonl")).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == killAfter + 1 && lines.last == "", "JSON Lines after the kill: \(lines.count - 1) lines")
        #expect(FileManager.default.fileExists(atPath: partial.path + ".mrcnn-state.json"))

        let resumed = try CLIHarness.mrcnn(arguments("resumed") + ["--resume"], in: dir, timeout: 300)
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(CLIHarness.read(dir.appendingPathComponent("resumed.jsonl")) == CLIHarness.read(dir.appendingPathComponent("whole.jsonl")))
        let a = try Self.packets(dir.appendingPathComponent("whole.mp4")), b = try Self.packets(partial)
        #expect(a.video.count == seconds * 25)
        #expect(b.video == a.video)
        #expect(b.audio == a.audio)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("resumed.mp4.") }
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test("render chain with audio: SIGKILL after 40 of 100 frames, resume = uninterrupted run")
    func renderChain() throws {
        try killResumeCompare(stages: ["--stages", "render"], seconds: 4, killAfter: 40, audio: true)
    }

    @Test("model + tracker chain (seeded weights, tiny input): the tracker's state is rebuilt from the saved results")
    func modelAndTracker() throws {
        try killResumeCompare(stages: ["--stages", "detector,mask,tracker,render", "--weights", "seeded:0",
                                       "--min-size", "64", "--max-size", "96", "--score-threshold", "0.05", "--min-hits", "1"],
                              seconds: 1, killAfter: 11, audio: false, partialVideo: false)
    }

    @Test("two streams together with a tracker: SIGKILL mid-run, resume = uninterrupted run, stream by stream")
    func streamsTogether() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try CLIHarness.makeClip(dir.appendingPathComponent("a.mp4"), seconds: 2, audio: false)
        try CLIHarness.makeClip(dir.appendingPathComponent("b.mp4"), seconds: 2, size: "128x96", rate: 20, audio: false)
        func arguments(_ out: String) -> [String] {
            ["run", "a.mp4", "b.mp4", "-o", out + "/", "--stages", "detector,tracker,render", "--weights", "seeded:0",
             "--min-size", "64", "--max-size", "96", "--score-threshold", "0.05", "--min-hits", "1"]
        }
        let whole = try CLIHarness.mrcnn(arguments("whole"), in: dir, timeout: 300)
        #expect(whole.status == 0, "stderr: \(whole.stderr)")
        try Self.killed(arguments("resumed"), after: 60, in: dir)
        let held = ["a", "b"].map { CLIHarness.read(dir.appendingPathComponent("resumed/\($0).jsonl")).split(separator: "\n").count }
        #expect(held.reduce(0, +) == 60 && held.allSatisfy { $0 > 0 }, "lines before the kill: \(held)")
        let resumed = try CLIHarness.mrcnn(arguments("resumed") + ["--resume"], in: dir, timeout: 300)
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        for name in ["a", "b"] {
            let expected = CLIHarness.read(dir.appendingPathComponent("whole/\(name).jsonl"))
            #expect(!expected.isEmpty && CLIHarness.read(dir.appendingPathComponent("resumed/\(name).jsonl")) == expected, "\(name)")
            let a = try Self.packets(dir.appendingPathComponent("whole/\(name).mp4")), b = try Self.packets(dir.appendingPathComponent("resumed/\(name).mp4"))
            #expect(a.video.count == (name == "a" ? 50 : 40) && b.video == a.video, "\(name)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("resumed").path).filter { $0.contains(".mp4.") }
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test("a resume with other settings or another input is refused in one line")
    func refused() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4"), other = dir.appendingPathComponent("other.mp4")
        try CLIHarness.makeClip(input, seconds: 2, audio: false)
        try CLIHarness.makeClip(other, seconds: 1, audio: false)
        let output = dir.appendingPathComponent("out.mp4").path, json = dir.appendingPathComponent("out.jsonl").path
        try Self.killed(["run", input.path, "-o", output, "--json", json, "--stages", "render"], after: 20, in: dir)
        let settings = try CLIHarness.mrcnn(["run", input.path, "-o", output, "--json", json, "--stages", "render",
                                             "--min-score", "0.3", "--resume"], in: dir)
        #expect(settings.status != 0)
        #expect(settings.stderrLines.count == 1 && settings.stderr.contains("settings differ"), "stderr: \(settings.stderr)")
        let input2 = try CLIHarness.mrcnn(["run", other.path, "-o", output, "--json", json, "--stages", "render", "--resume"], in: dir)
        #expect(input2.status != 0)
        #expect(input2.stderrLines.count == 1 && input2.stderr.contains("not the file"), "stderr: \(input2.stderr)")
    }
}

/// Many inputs over several workers.
@Suite("mrcnn run LIST -o DIR/ --shard", .serialized)
struct ShardTests {
    @Test("3 local workers over 7 clips: every input done exactly once; a second pass skips them all")
    func threeWorkersSevenClips() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let clips = dir.appendingPathComponent("clips")
        try FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
        for k in 0..<7 { try CLIHarness.makeClip(clips.appendingPathComponent("clip\(k).mp4"), seconds: 1, size: "96x64", audio: false) }
        let out = dir.appendingPathComponent("out").path + "/"
        // Worker 2 takes its index from the Indexed Job variable.
        var workers: [(Process, URL)] = []
        for index in 0..<3 {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["run", clips.path, "-o", out, "--stages", "render"] + (index == 2 ? ["--shard", "/3"] : ["--shard", "\(index)/3"])
            process.environment = ProcessInfo.processInfo.environment.merging(["JOB_COMPLETION_INDEX": "\(index)"]) { $1 }
            let err = dir.appendingPathComponent("worker\(index).txt")
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            workers.append((process, err))
        }
        var started: [String] = []
        for (process, err) in workers {
            try CLIHarness.wait(process, timeout: 300)
            #expect(process.terminationStatus == 0, "\(CLIHarness.read(err))")
            started += CLIHarness.read(err).split(separator: "\n").compactMap { line in
                line.contains("] ") && line.contains(" → ") ? line.split(separator: " ").dropFirst(2).first.map(String.init) : nil
            }
        }
        let names = started.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted()
        #expect(names == (0..<7).map { "clip\($0).mp4" }, "started: \(started)")
        for k in 0..<7 {
            #expect(try CLIHarness.probe(URL(fileURLWithPath: out + "clip\(k).mp4"))["video"] == 25)
            #expect(CLIHarness.read(URL(fileURLWithPath: out + "clip\(k).jsonl")).split(separator: "\n").count == 25)
        }
        let again = try CLIHarness.mrcnn(["run", clips.path, "-o", out, "--stages", "render"], in: dir)
        #expect(again.status == 0)
        #expect(again.stderr.components(separatedBy: "done already").count - 1 == 7, "stderr: \(again.stderr)")
    }
}
