import Foundation
import Pipeline
import Testing

/// Chains are checked on capabilities (needs earlier, providers of what a stage reads before it), options on
/// what each stage declares (type, range, choices); every error is one line.
@Suite("StageRegistry")
struct StageRegistryTests {
    static let minScore = OptionKey<Float>.float("min-score", default: 0.5, within: 0...1, score: true, help: "least score drawn")
    static let labels = OptionKey<Bool>.bool("labels", default: true, help: "draw labels")
    enum Style: String, Sendable { case filled, outline }
    static let style = OptionKey<Style>.choice("style", default: .filled, choices: [("filled", .filled), ("outline", .outline)],
                                               help: "how masks are drawn")
    static let width = OptionKey<Int>.int("width", default: 2, atLeast: 1, help: "line width")

    func registry() -> StageRegistry {
        let registry = StageRegistry()
        registry.register("detector", summary: "boxes", provides: [.boxes, "toy features"]) { _ in RecordingStage(name: "detector") }
        registry.register("mask", summary: "masks", needs: [.boxes, "toy features"], provides: [.masks]) { _ in
            RecordingStage(name: "mask")
        }
        registry.register("render", summary: "draw", reads: [.boxes, .masks],
                          options: [Self.minScore, Self.labels, Self.style, Self.width]) { context in
            RecordingStage(name: "render-\(try context[Self.minScore])-\(try context[Self.labels])-\(try context[Self.style].rawValue)")
        }
        return registry
    }

    @Test func buildsAValidChainInOrderWithOptions() throws {
        let r = registry()
        let plans = try r.plans(for: ["detector", "mask", "render"], options: r.resolve([("render.min-score", "0.7")]))
        #expect(plans.map(\.name) == ["detector", "mask", "render"])
        let render = try #require(try plans[2].make() as? RecordingStage)
        #expect(render.name == "render-0.7-true-filled", "declared defaults fill what is not set")
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

    @Test func optionsAreNamespacedDeclaredTypedAndRanged() throws {
        let r = registry()
        let values = try r.resolve([("render.min-score", "0.2"), ("render.min-score", "0.3"), ("render.style", "outline")])["render"]
        #expect(try values[Self.minScore] == 0.3, "later assignments win")
        #expect(try values[Self.labels] == true && values.isSet(Self.minScore) && !values.isSet(Self.labels))
        #expect(try values[Self.style] == .outline)
        #expect(throws: StageError.undeclaredOption(stage: "render", option: "other")) {
            try values[OptionKey<Int>.int("other", default: 1, help: "")]
        }
        for key in ["nosuch", "render.nosuch", "bogus.x"] {
            #expect(throws: StageError.self) { try r.resolve([(key, "1")]) }
        }
        let refused: [(String, String, String)] = [
            ("render.min-score", "high", "a score from 0 to 1"), ("render.min-score", "1.5", "a score from 0 to 1"),
            ("render.labels", "maybe", "true or false"), ("render.style", "dotted", "filled or outline"),
            ("render.width", "0", "an integer ≥ 1"),
        ]
        for (key, value, expected) in refused {
            #expect(throws: StageError.invalidOption(key: key, value: value, expected: expected)) { try r.resolve([(key, value)]) }
        }
        do {
            _ = try r.resolve([("nosuch", "1")])
        } catch {
            #expect(!String(describing: error).contains("\n"))
        }
    }

    @Test func optionKindsParseAndWriteBack() {
        let classes = OptionKey<Set<Int>?>.classes("classes", default: nil, help: "")
        #expect(classes.parse("person, car") == .some([1, 3]) && classes.parse("all") == .some(nil) && classes.parse("unicorn") == nil)
        #expect(classes.format([3, 1]) == "person,car" && classes.format(nil) == "all")
        let text = OptionKey<String?>.text("weights", default: nil, help: "")
        #expect(text.parse("seeded:0") == .some("seeded:0") && text.defaultText == "unset")
        let unset = OptionKey<Float?>.float("new-score", within: 0...1, unset: "the high score", help: "")
        #expect(unset.parse("0.4") == .some(0.4) && unset.parse("2") == nil && unset.defaultText == "unset")
        #expect(OptionKey<Int>.int("n", default: 1, help: "").parse("x") == nil)
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
        let model = SharedKey<Int>("model")
        let first = try shared.value(model) { made += 1; return 42 }
        let second = try shared.value(model) { made += 1; return 7 }
        #expect(first == 42 && second == 42 && made == 1 && shared.existing(model) == 42)
        #expect(try shared.value(SharedKey<String>("model")) { "other type" } == "other type")
        #expect(shared.existing(SharedKey<Int>("absent")) == nil)
    }

    @Test func resourcesOfDifferentKeysAreMadeIndependently() throws {
        // Making "a" waits until "b" has been made on another thread: with one lock over all keys this would hang.
        let shared = SharedResources(), bMade = DispatchSemaphore(value: 0)
        Thread { _ = try? shared.value(SharedKey<Int>("b")) { 2 }; bMade.signal() }.start()
        let a = try shared.value(SharedKey<Int>("a")) { bMade.wait(timeout: .now() + 30) == .success ? 1 : -1 }
        #expect(a == 1)
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
