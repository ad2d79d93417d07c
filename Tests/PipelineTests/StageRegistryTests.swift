import Pipeline
import Testing

@Suite("StageRegistry")
struct StageRegistryTests {
    func registry() -> StageRegistry {
        let registry = StageRegistry()
        registry.register("detector", summary: "boxes") { _ in RecordingStage(name: "detector") }
        registry.register("mask", requires: ["detector"], summary: "masks") { _ in RecordingStage(name: "mask") }
        registry.register("render", summary: "draw") { context in
            RecordingStage(name: "render-\(context.options["min-score"] ?? "default")")
        }
        return registry
    }

    @Test func buildsAValidChainInOrderWithOptions() throws {
        let context = StageContext(options: ["min-score": "0.7"])
        let chain = try registry().makeChain(["detector", "mask", "render"], context: context)
        #expect(chain.map(\.name) == ["detector", "mask", "render-0.7"])
        #expect(registry().names == ["detector", "mask", "render"])
    }

    @Test func rejectsAMissingRequirement() {
        #expect(throws: StageError.missingRequirement(stage: "mask", requires: "detector")) {
            try registry().makeChain(["mask", "render"], context: StageContext())
        }
        #expect(throws: StageError.missingRequirement(stage: "mask", requires: "detector")) {
            try registry().makeChain(["mask", "detector"], context: StageContext())
        }
    }

    @Test func rejectsAnUnknownStageWithOneLine() {
        do {
            _ = try registry().makeChain(["render", "bogus"], context: StageContext())
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error) == "unknown stage 'bogus' (available: detector, mask, render)")
        }
    }

    @Test func rejectsDuplicates() {
        #expect(throws: StageError.duplicateStage("render")) {
            try registry().validate(["render", "render"])
        }
    }

    @Test func parsesCommaSeparatedChains() {
        #expect(StageRegistry.parseChain(" detector, mask,,render ") == ["detector", "mask", "render"])
        #expect(StageRegistry.parseChain("").isEmpty)
    }

    @Test func sharedResourcesAreMadeOnce() throws {
        let shared = SharedResources()
        var made = 0
        let first = shared.value("model") { made += 1; return 42 }
        let second = shared.value("model") { made += 1; return 7 }
        #expect(first == 42 && second == 42 && made == 1)
        #expect(shared.value("model") { "other type" } == "other type")
    }

    @Test func contextParsesNumericOptions() throws {
        let context = StageContext(options: ["score-threshold": "0.25", "bad": "x"])
        #expect(try context.float("score-threshold", default: 0.5) == 0.25)
        #expect(try context.float("missing", default: 0.5) == 0.5)
        #expect(throws: StageError.invalidOption(key: "bad", value: "x")) { try context.float("bad", default: 0) }
    }

    @Test func cocoTables() {
        #expect(COCOCategories.names.count == 91)
        #expect(COCOCategories.name(1) == "person")
        #expect(COCOCategories.name(3) == "car")
        #expect(COCOCategories.name(90) == "toothbrush")
        #expect(COCOCategories.name(500) == "class 500")
        #expect(COCOKeypoints.names.count == 17)
        #expect(COCOKeypoints.skeleton.count == 19)
        #expect(COCOKeypoints.skeleton.allSatisfy { $0.0 < 17 && $0.1 < 17 })
    }
}
