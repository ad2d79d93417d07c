import Foundation
import Job
import Pipeline
import Results
import Testing

/// What a job decides before it touches a file, on the stages' declarations and traits rather than their names:
/// option values refused before anything is written, the heads' cut, the stage a frame-rate target adjusts.
@Suite("job plan", .serialized)
struct JobPlanTests {
    @Test("a bad option value fails before any file is written or any server started")
    func badValueBeforeAnyIO() async throws {
        let dir = try VideoJobTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try VideoJobTests.makeClip(in: dir)
        var job = VideoJob(input: clip.path, output: dir.appendingPathComponent("out.mp4").path,
                           options: ["detector.weights": "seeded:0", "detector.precision": "fp16"])
        job.results.json = dir.appendingPathComponent("out.jsonl").path
        job.live.serve = "127.0.0.1:0"
        let refusal = StageError.invalidOption(key: "detector.precision", value: "fp16", expected: "fp32, bf16, int8, auto or bf16-emulated")
        #expect(throws: refusal) { try job.check() }
        await #expect(throws: refusal) { _ = try await job.run() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["clip.mp4"])
    }

    /// The head cut for `chain` with `options` and a JSON Lines file or not.
    static func cut(_ chain: [String], _ options: [String: String] = [:], json: Bool = false) throws -> [String: String] {
        let registry = try StageCatalog.makeRegistry()
        registry.register("blur", summary: "a plugin that says nothing") { _ in throw StageError.failed(stage: "blur", message: "unused") }
        return HeadCut.assignments(chain: chain.compactMap(registry.entry), options: try registry.resolve(options),
                                   leading: false, results: ResultsPaths(json: json ? "r.jsonl" : nil))
    }

    @Test("the heads work only on what is drawn, when every stage says it uses no more")
    func headCut() throws {
        #expect(try Self.cut(["detector", "mask", "render"]) == ["mask.min-score": "0.5"])
        #expect(try Self.cut(["detector", "mask", "keypoints", "render"], ["render.min-score": "0.25"])
                == ["mask.min-score": "0.25", "keypoints.min-score": "0.25"])
        #expect(try Self.cut(["detector", "mask", "render"], ["mask.min-score": "0.1"]).isEmpty, "a set cut is kept")
        #expect(try Self.cut(["detector", "mask", "render"], json: true).isEmpty, "results files keep every detection")
        #expect(try Self.cut(["detector", "mask", "tracker", "render"]).isEmpty, "the tracker uses low scores")
        #expect(try Self.cut(["detector", "mask", "blur", "render"]).isEmpty, "a stage that says nothing may use all")
        #expect(try Self.cut(["detector", "mask"]).isEmpty, "nothing draws: nothing to cut to")
    }

    @Test("a frame-rate target needs a stage that takes frame settings, named from the registry")
    func targetNeedsSettings() throws {
        var job = VideoJob(input: "in.mp4", chain: ["render"])
        job.targetFPS = 5
        #expect(throws: JobError.nothingToControl(stages: ["detector", "keypoints"])) { try job.check() }
        job.chain = ["keypoints", "render"]
        job.options = ["keypoints.weights": "seeded:0"]
        try job.check()
    }

    @Test("typed setters write what the options read back")
    func typedSetters() throws {
        var job = VideoJob(input: "in.mp4", chain: ["render"])
        job.set(OptionKey<Float>.float("min-score", default: 0.5, help: ""), 0.25, on: "render")
        #expect(job.options == ["render.min-score": "0.25"])
        try job.check()
    }
}
