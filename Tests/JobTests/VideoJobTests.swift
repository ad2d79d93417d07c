import Foundation
import Job
import Pipeline
import Results
import Testing

/// The video job as a library: a few lines run a chain over a clip and write results, with no command line.
@Suite("video job", .serialized)
struct VideoJobTests {
    /// A `frames`-frame clip (64×48 by default) at 10 fps made by ffmpeg's test source.
    static func makeClip(in dir: URL, frames: Int = 6, size: String = "64x48") throws -> URL {
        let clip = dir.appendingPathComponent("clip.mp4")
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        ffmpeg.arguments = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=10",
                            "-frames:v", "\(frames)", "-pix_fmt", "yuv420p", clip.path]
        try ffmpeg.run()
        ffmpeg.waitUntilExit()
        guard ffmpeg.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return clip
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a render-only job writes one JSON line per frame and an MP4, and reports per-part timings")
    func renderOnly() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try Self.makeClip(in: dir)
        var job = VideoJob(input: clip.path, output: dir.appendingPathComponent("out.mp4").path, chain: ["render"])
        job.results.json = dir.appendingPathComponent("out.jsonl").path
        var seen: [Int] = []
        job.onProgress = { done, _ in seen.append(done) }
        let report = try await job.run()
        #expect(report.summary.frames == 6 && !report.interrupted)
        #expect(seen == Array(1...6))
        #expect(report.lines.contains { $0.contains("render") && $0.contains("ms/frame") })
        let lines = try ResultsReader.load(path: dir.appendingPathComponent("out.jsonl").path)
        #expect(lines.map(\.frame) == Array(0..<6))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.mp4").path))
    }

    @Test("without an output video only the results are written; a leading stage runs first; maxFrames stops")
    func resultsOnly() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try Self.makeClip(in: dir)
        let saved = (0..<6).map { i in
            ResultsFrame(frame: i, pts: Int64(i * 1000), time: Double(i) / 10,
                         instances: [Instance(box: Box(x1: 1, y1: 1, x2: 9, y2: 9), categoryID: 1, score: 0.9)])
        }
        let replay = ReplayStage(frames: saved, classes: nil)
        var job = VideoJob(input: clip.path, chain: [])
        job.leadingStages = [replay.plan]
        job.leadingProvide = ReplayStage.provides
        job.maxFrames = 4
        job.results.json = dir.appendingPathComponent("r.jsonl").path
        let report = try await job.run()
        #expect(report.summary.frames == 4)
        #expect(replay.matched == 4)
        let frames = try ResultsReader.load(path: dir.appendingPathComponent("r.jsonl").path)
        #expect(frames.map(\.instances.count) == [1, 1, 1, 1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["clip.mp4", "r.jsonl"])
    }

    @Test("outputs that would overwrite the input or each other are refused before anything runs")
    func paths() throws {
        var job = VideoJob(input: "/tmp/in.mp4", output: "/tmp/in.mp4")
        #expect(throws: JobError.outputIsInput("/tmp/in.mp4")) { try job.checkPaths() }
        job.output = "/tmp/a.mp4"
        job.results.json = "/tmp/a.mp4"
        #expect(throws: JobError.outputsCollide) { try job.checkPaths() }
        job.results.json = "/nonexistent-dir/r.jsonl"
        #expect(throws: JobError.notWritable(path: "/nonexistent-dir/r.jsonl", folder: "/nonexistent-dir")) { try job.checkPaths() }
        #expect(LiveSettings().policy(for: "rtsp://h/s") == .latest)
        #expect(LiveSettings().policy(for: "a.mp4") == .lossless)
        #expect(LiveSettings(policy: .latest).policy(for: "a.mp4") == .latest)
    }
}
