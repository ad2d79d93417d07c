import Detector
import Foundation
import Pipeline
import Results

/// Everything a `VideoJob` decides before it touches a file or a socket: the registry, the checked and typed
/// options (with the head cut), the stage plans, the traits that steer resume and frame-rate control, and the
/// controller's ladder. Built by `VideoJob.plan()`; a failure here is a one-line error and nothing was written.
struct JobPlan {
    let registry: StageRegistry
    let options: ChainOptions
    let plans: [StagePlan]
    /// The chain's stages' traits, in chain order.
    let traits: [StageTraits]
    /// The chain's compute gate (its busy time goes into the report when a model stage joined it).
    let gate: ComputeGate
    /// The resume point is rounded down to a multiple of this (the stages' keyframe intervals).
    let keyframeEvery: Int
    /// With a frame-rate target: the ladder and the controlled stage's note for the report.
    let ladder: QualityLadder?
    let controlNote: String?
}

extension VideoJob {
    /// Checks the chain, every option value, what the results files need and the frame-rate target, and refuses
    /// outputs that would overwrite the input or each other — all before anything is opened or written.
    public func check() throws { _ = try plan() }

    /// One-line errors for settings out of their range.
    func checkSettings() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> JobError { .invalidSetting(name: name, value: "\(value)", expected: expected) }
        guard batchSize >= 1 else { throw bad("batch-size", batchSize, "at least 1") }
        if let maxFrames, maxFrames < 1 { throw bad("max-frames", maxFrames, "at least 1") }
        if let targetFPS, !(targetFPS.isFinite && targetFPS > 0) { throw bad("target-fps", targetFPS, "a positive number") }
        guard minSizeFloor >= 32 else { throw bad("min-size-floor", minSizeFloor, "at least 32") }
        try live.check()
    }

    func plan() throws -> JobPlan {
        try checkSettings()
        try checkPaths()
        let registry = try StageCatalog.makeRegistry(plugins: plugins, cache: cacheDirectory)
        try registry.validate(chain, upstream: leadingProvide)
        let entries = chain.compactMap(registry.entry)
        var options = try registry.resolve(self.options)
        let cut = HeadCut.assignments(chain: entries, options: options, leading: !leadingStages.isEmpty, results: results)
        if !cut.isEmpty { options = try registry.resolve(self.options.merging(cut) { mine, _ in mine }) }
        let provided = registry.provided(by: chain, upstream: leadingProvide)
        for (file, path, needs) in [("MOT", results.mot, [Capability.trackIDs]), ("MOTS", results.mots, [.trackIDs, .masks])]
        where path != nil {
            for need in needs where !provided.contains(need) { throw JobError.resultsNeed(file: file, capability: need) }
        }
        // One gate per chain, made here so the report can say how long the model computed.
        let shared = SharedResources()
        let gate = try shared.value(ComputeGate.key) { ComputeGate() }
        let plans = try registry.plans(for: chain, options: options, upstream: leadingProvide, shared: shared)
        let controls = try entries.compactMap { entry in try entry.traits.settings.map { try $0.plan(options[entry.name]) } }
        let keyframeEvery = controls.reduce(1) { lcm($0, max(1, $1.start.keyframeInterval ?? 1)) }
        var ladder: QualityLadder?
        if targetFPS != nil {
            guard let control = controls.first else {
                throw JobError.nothingToControl(stages: registry.all.filter { $0.traits.settings != nil }.map(\.name))
            }
            ladder = QualityLadder(start: control.start, adjustable: control.adjustable, precisions: control.precisions,
                                   floor: minSizeFloor)
        }
        return JobPlan(registry: registry, options: options, plans: plans, traits: entries.map(\.traits), gate: gate,
                       keyframeEvery: keyframeEvery, ladder: ladder, controlNote: ladder == nil ? nil : controls.first?.note)
    }
}

private func lcm(_ a: Int, _ b: Int) -> Int {
    func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    return a / gcd(a, b) * b
}
