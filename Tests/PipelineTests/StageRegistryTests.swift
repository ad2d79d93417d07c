import Pipeline
import Testing

/// Chains are checked on capabilities (needs earlier, providers of what a stage reads before it), options on
/// what each stage declares; every error is one line.
@Suite("StageRegistry")
struct StageRegistryTests {
    func registry() -> StageRegistry {
        let registry = StageRegistry()
        registry.register("detector", summary: "boxes", provides: [.boxes, "toy features"]) { _ in RecordingStage(name: "detector") }
        registry.register("mask", summary: "masks", needs: [.boxes, "toy features"], provides: [.masks]) { _ in
            RecordingStage(name: "mask")
        }
        registry.register("render", summary: "draw", reads: [.boxes, .masks],
                          options: [.float("min-score", default: 0.5, help: "least score drawn"),
                                    .bool("labels", default: true, help: "draw labels")]) { context in
            RecordingStage(name: "render-\(try context.float("min-score"))-\(try context.bool("labels"))")
        }
        return registry
    }

    @Test func buildsAValidChainInOrderWithOptions() throws {
        let plans = try registry().plans(for: ["detector", "mask", "render"], options: [("render.min-score", "0.7")])
        #expect(plans.map(\.name) == ["detector", "mask", "render"])
        let render = try #require(try plans[2].make() as? RecordingStage)
        #expect(render.name == "render-0.7-true", "declared defaults fill what is not set")
        #expect(registry().names == ["detector", "mask", "render"])
    }

    @Test func anyStageThatProvidesTheCapabilitySatisfiesANeed() throws {
        let r = registry()
        r.register("third-party", summary: "a detector by someone else", provides: [.boxes, "toy features"]) { _ in
            RecordingStage(name: "third-party")
        }
        try r.validate(["third-party", "mask", "render"])
        try r.validate(["mask"], upstream: [.boxes, "toy features"])
    }

    @Test func rejectsAMissingCapabilityWithOneLine() {
        #expect(throws: StageError.missingCapability(stage: "mask", capability: .boxes, providers: ["detector"])) {
            try registry().validate(["mask", "render"])
        }
        #expect(String(describing: StageError.missingCapability(stage: "mask", capability: .boxes, providers: ["detector"]))
                == "stage 'mask' needs boxes from an earlier stage (provided by detector)")
    }

    @Test func drawingBeforeDetectingIsRefused() throws {
        #expect(throws: StageError.providedTooLate(stage: "render", capability: .boxes, provider: "detector")) {
            try registry().validate(["render", "detector"])
        }
        try registry().validate(["render"])   // alone it draws nothing, which is fine
    }

    @Test func rejectsAnUnknownStageWithOneLine() {
        #expect(throws: StageError.unknownStage("bogus", available: ["detector", "mask", "render"])) {
            try registry().validate(["render", "bogus"])
        }
    }

    @Test func rejectsDuplicates() {
        #expect(throws: StageError.duplicateStage("render")) { try registry().validate(["render", "render"]) }
    }

    @Test func optionsAreNamespacedDeclaredAndTyped() throws {
        let r = registry()
        let values = try r.resolveOptions([("render.min-score", "0.2"), ("render.min-score", "0.3")])
        #expect(values["render"]?["min-score"] == "0.3", "later assignments win")
        #expect(values["render"]?["labels"] == "true")
        for key in ["nosuch", "render.nosuch", "bogus.x"] {
            #expect(throws: StageError.self) { try r.resolveOptions([(key, "1")]) }
        }
        #expect(throws: StageError.invalidOption(key: "render.min-score", value: "high", expected: "float")) {
            try r.resolveOptions([("render.min-score", "high")])
        }
        #expect(throws: StageError.invalidOption(key: "render.labels", value: "maybe", expected: "bool")) {
            try r.resolveOptions([("render.labels", "maybe")])
        }
        do {
            _ = try r.resolveOptions([("nosuch", "1")])
        } catch {
            #expect(!String(describing: error).contains("\n"))
        }
    }

    @Test func parsesChainsAndAssignments() {
        #expect(StageRegistry.parseChain(" detector, mask,,render ") == ["detector", "mask", "render"])
        #expect(StageRegistry.parseChain("").isEmpty)
        #expect(StageRegistry.parseAssignment("a.b=c=d")! == ("a.b", "c=d"))
        #expect(StageRegistry.parseAssignment("=x") == nil && StageRegistry.parseAssignment("x") == nil)
    }

    @Test func sharedResourcesAreMadeOnce() throws {
        let shared = SharedResources()
        var made = 0
        let first = shared.value("model") { made += 1; return 42 }
        let second = shared.value("model") { made += 1; return 7 }
        #expect(first == 42 && second == 42 && made == 1)
        #expect(shared.value("model") { "other type" } == "other type")
    }

    @Test func typedFeaturesGiveBackWhatWasStored() {
        struct Pyramid: Sendable, Equatable { var levels: Int }
        let key = FeatureKey<Pyramid>("toy"), other = FeatureKey<Int>("toy-count")
        var features = Features()
        #expect(features[key] == nil && features.isEmpty)
        features[key] = Pyramid(levels: 5)
        features[other] = 3
        #expect(features[key] == Pyramid(levels: 5) && features[other] == 3)
        features[key] = nil
        #expect(features[key] == nil && features[other] == 3)
        #expect(Capability.features(key).name == "toy features")
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
