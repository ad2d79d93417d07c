import Pipeline
import Results

/// Stages that rebuild stateful stages on resume (see `ResumePoint.Warmup.replay`), per stream: `ResumeReplay` puts
/// each stream's saved instances on its frames before its resume point, `ResumeBypass` lets those frames pass a
/// per-frame stage untouched. A batch may mix streams (`FrameRecord.stream`); a single-stream run is stream 0.
/// Immutable; called on their stage threads.
final class ResumeReplay: Stage, Sendable {
    /// Per stream: its saved instances by frame, and its resume point.
    private let saved: [Int: [Int: [Instance]]]
    private let before: [Int: Int]

    /// `streams`: by stream id, the saved results of the frames before its resume point `before`.
    init(streams: [Int: (saved: [ResultsFrame], before: Int)]) {
        saved = streams.mapValues { Dictionary($0.saved.map { ($0.frame, $0.instances) }, uniquingKeysWith: { first, _ in first }) }
        before = streams.mapValues(\.before)
    }

    var plan: StagePlan { StagePlan(name: "resume-replay", stage: self) }

    func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices where batch[i].index < before[batch[i].stream] ?? 0 {
            batch[i].instances = saved[batch[i].stream]?[batch[i].index] ?? []
        }
    }

    /// `plans` for a run whose streams start at `starts` (by stream id): unchanged unless a stream replays; then this
    /// stage first and the per-frame prefix bypassed for every replaying stream's frames before its resume point.
    static func plans(_ plans: [StagePlan], starts: [Int: JobCheckpoint.Start]) -> [StagePlan] {
        var replaying: [Int: (saved: [ResultsFrame], before: Int)] = [:], prefix = 0
        for (id, start) in starts where start.skip > 0 {
            guard case let .replay(p) = start.warmup else { continue }
            replaying[id] = (start.saved, start.skip)
            prefix = p   // the chain's traits decide it: the same for every stream
        }
        guard !replaying.isEmpty else { return plans }
        let before = replaying.mapValues(\.before)
        return [ResumeReplay(streams: replaying).plan]
            + plans.enumerated().map { $0 < prefix ? ResumeBypass.wrap($1, before: before) : $1 }
    }
}

/// Runs `inner` on the frames at or after their stream's resume point (`before`, by stream id); earlier frames pass
/// through unchanged, in place (order and count kept).
final class ResumeBypass: Stage {
    private let inner: any Stage
    private let before: [Int: Int]

    init(inner: any Stage, before: [Int: Int]) {
        self.inner = inner
        self.before = before
    }

    /// `plan` with its stage wrapped.
    static func wrap(_ plan: StagePlan, before: [Int: Int]) -> StagePlan {
        StagePlan(name: plan.name, waits: plan.waits) { ResumeBypass(inner: try plan.make(), before: before) }
    }

    func process(_ batch: inout [FrameRecord]) throws {
        let computed = batch.indices.filter { batch[$0].index >= before[batch[$0].stream] ?? 0 }
        if computed.count == batch.count { return try inner.process(&batch) }
        guard !computed.isEmpty else { return }
        var rest = computed.map { batch[$0] }
        try inner.process(&rest)
        guard rest.count == computed.count else {
            throw StageError.failed(stage: "resume", message: "a per-frame stage returned \(rest.count) of \(computed.count) frames")
        }
        for (i, record) in zip(computed, rest) { batch[i] = record }
    }

    func finish() throws { try inner.finish() }
}
