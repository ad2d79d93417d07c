import Pipeline
import Results

/// Stages that rebuild stateful stages on resume (see `ResumePoint.Warmup.replay`): `ResumeReplay` puts the saved
/// instances on the frames before the resume point, `ResumeBypass` lets those frames pass a per-frame stage
/// untouched. Immutable; called on their stage threads.
final class ResumeReplay: Stage, Sendable {
    private let saved: [Int: [Instance]]
    private let before: Int

    init(saved: [ResultsFrame], before: Int) {
        self.saved = Dictionary(saved.map { ($0.frame, $0.instances) }, uniquingKeysWith: { first, _ in first })
        self.before = before
    }

    var plan: StagePlan { StagePlan(name: "resume-replay", stage: self) }

    func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices where batch[i].index < before {
            batch[i].instances = saved[batch[i].index] ?? []
        }
    }
}

/// Runs `inner` on the frames from `before` on; earlier frames pass through unchanged (order and count kept).
final class ResumeBypass: Stage {
    private let inner: any Stage
    private let before: Int

    init(inner: any Stage, before: Int) {
        self.inner = inner
        self.before = before
    }

    /// `plan` with its stage wrapped.
    static func wrap(_ plan: StagePlan, before: Int) -> StagePlan {
        StagePlan(name: plan.name, waits: plan.waits) { ResumeBypass(inner: try plan.make(), before: before) }
    }

    func process(_ batch: inout [FrameRecord]) throws {
        guard let first = batch.firstIndex(where: { $0.index >= before }) else { return }
        if first == batch.startIndex { return try inner.process(&batch) }
        var rest = Array(batch[first...])
        try inner.process(&rest)
        batch.replaceSubrange(first..., with: rest)
    }

    func finish() throws { try inner.finish() }
}
