import Foundation
import Testing
import Job
import Pipeline

/// The pure parts of `--resume`: where to continue, how to warm stateful stages up, how results files are cut.
@Suite struct ResumePointTests {
    @Test func continuesFromTheFewestWholeFramesOnAKeyframe() {
        #expect(ResumePoint.frame(video: 37, results: [40], keyframeEvery: 1) == 37)
        #expect(ResumePoint.frame(video: 50, results: [40], keyframeEvery: 1) == 40)
        #expect(ResumePoint.frame(video: 37, results: [40], keyframeEvery: 5) == 35)
        #expect(ResumePoint.frame(video: 3, results: [], keyframeEvery: 5) == 0)
    }

    /// The traits the stages of `chain` declare (the built-in stages, and `blur`: a plugin that declares none).
    static func traits(_ chain: [String]) throws -> [StageTraits] {
        let registry = try StageCatalog.makeRegistry()
        registry.register("blur", summary: "a plugin that says nothing") { _ in throw StageError.failed(stage: "blur", message: "unused") }
        return chain.map { registry.entry($0)?.traits ?? StageTraits() }
    }

    @Test func warmupDependsOnTheStagesTraits() throws {
        #expect(ResumePoint.warmup(traits: try Self.traits(["detector", "mask", "render"]), haveResults: false) == .skip)
        #expect(ResumePoint.warmup(traits: try Self.traits(["render"]), haveResults: false) == .skip)
        #expect(ResumePoint.warmup(traits: try Self.traits(["detector", "mask", "tracker", "render"]), haveResults: true) == .replay(prefix: 2))
        #expect(ResumePoint.warmup(traits: try Self.traits(["detector", "tracker"]), haveResults: false) == .recompute)
        #expect(ResumePoint.warmup(traits: try Self.traits(["detector", "blur", "tracker"]), haveResults: true) == .recompute)
    }

    @Test func resultsAreCutAtWholeLines() {
        let json = Data("{\"frame\":0}\n{\"frame\":1}\n{\"frame\":2}\n{\"fra".utf8)
        #expect(ResumePoint.lines(json, keep: 2) == (bytes: 24, complete: 3))
        #expect(ResumePoint.lines(json, keep: 9).bytes == 36)
        #expect(ResumePoint.lines(Data(), keep: 3) == (bytes: 0, complete: 0))
        let mot = Data("1,1,0,0,1,1,0.9,-1,-1,-1\n3,1,0,0,1,1,0.9,-1,-1,-1\n4,2,0,0,1,1,0.9,-1,-1,-1\n5,2,0".utf8)
        #expect(ResumePoint.trackLines(mot, keep: 3) == 50)
        #expect(ResumePoint.trackLines(mot, keep: 9) == 75)
        #expect(ResumePoint.trackLines(Data("2 7 1 4 4 abc\n".utf8), keep: 1) == 0)
    }

    @Test func stateRoundTripsAndDigestsAreStable() throws {
        #expect(ResumeState.settingsDigest(["chain render"]) == ResumeState.settingsDigest(["chain render"]))
        #expect(ResumeState.settingsDigest(["chain render"]) != ResumeState.settingsDigest(["chain tracker"]))
        #expect(ResumeState.digest(Data()) == "cbf29ce484222325")
        var state = ResumeState(input: .init(path: "/a.mp4", size: 3, modified: 1.5, head: "ab"), settings: "cd")
        state.origin = 7
        state.segments = [.init(path: "/o.mp4.part0.mp4", frames: 12)]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try state.save(path)
        #expect(try ResumeState.load(path) == state)
        #expect(try ResumeState.load(path + ".missing") == nil)
    }
}
