import Foundation
import Job
import Pipeline
import Synchronization
import Testing
import VideoIO

/// int8 without a calibration file: a run measures the scales on its input's first frames once, keeps them in the
/// cache directory by the weights, and the next run of the same weights uses them; an explicit file is checked as before.
@Suite("int8 without a calibration file", .serialized)
struct InputCalibrationTests {
    static let options = ["detector.weights": "seeded:0", "detector.precision": "int8", "detector.min-size": "64", "detector.max-size": "96"]

    /// The lines a job logs, from any thread.
    final class Notes: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func job(_ clip: URL, cache: URL, options: [String: String] = options, lines: Notes) -> VideoJob {
        var job = VideoJob(input: clip.path, chain: ["detector"], options: options)
        job.cacheDirectory = cache
        job.log = { line in lines.add(line) }
        return job
    }

    static func kept(in cache: URL) throws -> [URL] {
        let folder = cache.appendingPathComponent("int8")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).map { folder.appendingPathComponent($0) }
    }

    @Test("the first run measures on the input's first frames and keeps the scales; the next run uses them; a foreign file is refused")
    func measuresOnceThenReuses() async throws {
        let dir = try VideoJobTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try VideoJobTests.makeClip(in: dir, frames: 6, size: "96x64")
        let cache = dir.appendingPathComponent("cache")
        let first = Notes()
        var job = Self.job(clip, cache: cache, lines: first)
        job.results.json = dir.appendingPathComponent("a.jsonl").path
        try job.check()
        #expect(!FileManager.default.fileExists(atPath: cache.path), "nothing kept before the run")
        let report = try await job.run()
        #expect(report.summary.frames == 6)
        let said = first.all
        #expect(said.filter { $0.hasPrefix("int8:") }.count == 1, "\(said)")
        #expect(said.contains { $0.hasPrefix("int8: no calibration file given; measuring the scales on the first 16 frames of \(clip.path)") })
        let files = try Self.kept(in: cache)
        #expect(files.map(\.lastPathComponent) == ["maskrcnn_resnet50_fpn-seeded-0-s64.json"])
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: files[0])) as? [String: Any]
        #expect(object?["frames"] as? Int == 6 && object?["weights"] as? String == "seeded:0" && object?["shortSide"] as? Int == 64)
        let written = try FileManager.default.attributesOfItem(atPath: files[0].path)[.modificationDate] as? Date

        // The same weights again: the kept scales, not measured again.
        let second = Notes()
        _ = try await Self.job(clip, cache: cache, lines: second).run()
        #expect(second.all.contains { $0.hasPrefix("int8: using the scales measured on 6 frames for these weights at short side 64 (\(files[0].path))") },
                "\(second.all)")
        #expect(try FileManager.default.attributesOfItem(atPath: files[0].path)[.modificationDate] as? Date == written)

        // An explicit file keeps today's behaviour: measured on other weights, refused in one line.
        var foreign = Self.options
        (foreign["detector.weights"], foreign["detector.calibration"]) = ("seeded:1", files[0].path)
        let third = Notes()
        do {
            _ = try await Self.job(clip, cache: cache, options: foreign, lines: third).run()
            Issue.record("a calibration of other weights was taken")
        } catch {
            #expect(String(describing: error).contains("the int8 calibration does not fit these weights"), "\(error)")
        }
        #expect(!third.all.contains { $0.hasPrefix("int8:") })
    }

    @Test("a chain with the detector and the keypoints stage at int8: both models measured on the frames read once, each kept")
    func detectorAndKeypoints() async throws {
        let dir = try VideoJobTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try VideoJobTests.makeClip(in: dir, frames: 4, size: "96x64")
        let cache = dir.appendingPathComponent("cache")
        var options = Self.options
        for (key, value) in Self.options { options[key.replacingOccurrences(of: "detector.", with: "keypoints.")] = value }
        let notes = Notes()
        var job = VideoJob(input: clip.path, chain: ["detector", "keypoints"], options: options)
        (job.cacheDirectory, job.log) = (cache, { notes.add($0) })
        job.results.json = dir.appendingPathComponent("k.jsonl").path
        #expect(try await job.run().summary.frames == 4)
        #expect(notes.all.filter { $0.hasPrefix("int8: no calibration file given; measuring the scales on the first 16 frames") }.count == 1, "\(notes.all)")
        #expect(notes.all.filter { $0.hasPrefix("int8 (keypoints): no calibration file given; measuring the scales on the first 16 frames") }.count == 1,
                "\(notes.all)")
        let files = try Self.kept(in: cache).map(\.lastPathComponent).sorted()
        #expect(files == ["keypointrcnn_resnet50_fpn-seeded-0-s64.json", "maskrcnn_resnet50_fpn-seeded-0-s64.json"])
        let keypoints = try JSONSerialization.jsonObject(with: Data(contentsOf: cache.appendingPathComponent("int8/" + files[0]))) as? [String: Any]
        let inputs = keypoints?["inputs"] as? [String: Any] ?? [:]
        #expect(keypoints?["frames"] as? Int == 4 && keypoints?["model"] as? String == "keypointrcnn_resnet50_fpn")
        #expect((0..<8).allSatisfy { inputs["roi_heads.keypoint_head.\($0 * 2)"] != nil }, "the keypoint head's convolutions: \(inputs.keys.sorted())")
        #expect(inputs["roi_heads.keypoint_predictor.kps_score_lowres"] == nil, "the keypoint logits stay fp32")

        // `mrcnn calibrate --keypoints`'s job: Keypoint R-CNN's seeded weights.
        var calibrate = CalibrationJob(inputs: [clip.path], output: dir.appendingPathComponent("kp.json").path,
                                       options: ["detector.weights": "seeded:0", "detector.min-size": "64", "detector.max-size": "96"])
        (calibrate.frames, calibrate.keypoints, calibrate.cacheDirectory) = (2, true, cache)
        let report = try calibrate.run()
        #expect(report.calibration.model == "keypointrcnn_resnet50_fpn" && report.calibration.frames == 2, "\(report.line)")
    }

    @Test("still images: the first images calibrate, once")
    func stills() throws {
        let dir = try VideoJobTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        ffmpeg.arguments = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-frames:v", "3",
                            dir.appendingPathComponent("still%d.png").path]
        try ffmpeg.run()
        ffmpeg.waitUntilExit()
        let images = (1...3).map { dir.appendingPathComponent("still\($0).png").path }
        let cache = dir.appendingPathComponent("cache")
        for round in 0..<2 {
            var job = StillImageJob(images: images, json: dir.appendingPathComponent("r\(round).json").path, options: Self.options)
            job.cacheDirectory = cache
            let notes = Notes()
            job.warn = { line in notes.add(line) }
            let report = try job.run()
            #expect(report.images == 3)
            let expected = round == 0 ? "int8: no calibration file given; measuring the scales on the first 3 images" : "int8: using the scales measured on 3 frames"
            #expect(notes.all.contains { $0.hasPrefix(expected) }, "\(notes.all)")
        }
        #expect(try Self.kept(in: cache).count == 1)
    }

    @Test("frames read early are given first, then the source reads on: none lost")
    func prefetchedFramesComeFirst() throws {
        let dir = try VideoJobTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try VideoJobTests.makeClip(in: dir, frames: 6)
        let source = try PrefetchedSource.reading(4, of: try VideoSource(url: clip.path))
        defer { source.close() }
        #expect(source.kept.map(\.index) == [0, 1, 2, 3])
        var seen: [Int] = []
        while let frame = try source.nextFrame(deferringConversion: true) { seen.append(frame.index) }
        #expect(seen == Array(0..<6))
        #expect(source.kept.isEmpty)
    }
}
