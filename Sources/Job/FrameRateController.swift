import Pipeline

/// Holds a target frame rate by moving along a `QualityLadder`. Pure and clock-free: it is fed the measured cost
/// of each finished frame (seconds, with the settings that frame was computed with) and answers with a change of
/// rung, or nil; `nextSettings()` says what the next frame should be computed with. Deterministic for a given
/// sequence of costs; used from one task.
///
/// Rules: frames computed with settings the controller did not ask for are ignored (they were in flight when the
/// rung changed), and so are the first `settle` frames of a new rung (new input shapes build kernels). Then every
/// `window` frames (a multiple of the keyframe interval, so keyframes and regressed frames average out) it
/// compares the rung's mean cost with the budget 1/target:
/// - above `budget × downAbove`: down to the best rung predicted to fit the budget (the floor rung if none);
/// - below: up one rung if that rung is predicted to cost at most `budget × upBelow`;
/// - else, between a rung that fits and the better one above that does not, it mixes: a share `mix` of the frames
///   (spread evenly, no rung change) is computed on the rung above, chosen so the mean cost lands on
///   `budget × aim` — the best quality that holds the target, within a few per cent instead of a whole rung.
/// Predictions use the measured cost ratio between that rung and the current one (else the ladder's estimate),
/// applied to the current cost. When the current rung's cost changes (the machine got busier or freer), every
/// remembered cost is rescaled by the same factor, so ratios are kept and a freed machine climbs back up. A rung
/// measured too slow is not retried while the machine's speed stays the same (hysteresis: no oscillation), and the
/// 5 % / 15 % margins keep a rung that fits from being left for noise.
public struct FrameRateController: Sendable {
    /// A move from one rung to another.
    public struct Change: Sendable, Equatable {
        public let from: Int
        public let to: Int
        public let settings: FrameSettings
        /// The mean frame cost (s) measured on `from` that caused the move.
        public let measuredSeconds: Double
    }

    public let ladder: QualityLadder
    public let targetFPS: Double
    public let settle: Int
    public let downAbove: Double
    public let upBelow: Double
    /// The mean cost the mix aims at, as a share of the budget (a little under it, so the rate held is ≥ target).
    public let aim: Double
    public private(set) var rung = 0
    /// The share of frames computed on rung − 1 (0 when not mixing).
    public private(set) var mix = 0.0
    /// Last measured mean cost (s) per rung.
    public private(set) var measured: [Int: Double] = [:]
    private var skipped = 0
    private var samples: [Double] = []
    private var credit = 0.0

    public init(ladder: QualityLadder, targetFPS: Double, settle: Int = 2, downAbove: Double = 1.05, upBelow: Double = 0.85,
                aim: Double = 0.97) {
        precondition(targetFPS > 0 && ladder.count > 0)
        self.aim = aim
        self.ladder = ladder
        self.targetFPS = targetFPS
        self.settle = settle
        self.downAbove = downAbove
        self.upBelow = upBelow
    }

    /// The settings of the current rung (the one that fits; with a mix, some frames run on the rung above).
    public var settings: FrameSettings { ladder[rung] }

    /// The settings the next frame should be computed with: the current rung's, or with a mix, the rung above's for
    /// a share `mix` of the frames, spread evenly (error diffusion).
    public mutating func nextSettings() -> FrameSettings {
        guard mix > 0, rung > 0 else { return settings }
        credit += mix
        guard credit >= 1 else { return settings }
        credit -= 1
        return ladder[rung - 1]
    }
    public var budget: Double { 1 / targetFPS }
    /// Frames per decision on the current rung (twice as many while mixing, so both rungs are measured).
    public var window: Int {
        let k = max(settings.keyframeInterval ?? 1, 1), frames = mix > 0 ? 8 : 4
        return k * ((frames + k - 1) / k)
    }

    /// True for a frame computed with settings the controller asked for now (the rung's, or the mixed-in rung's).
    public func isCurrent(_ frame: FrameSettings?) -> Bool {
        frame == settings || (mix > 0 && rung > 0 && frame == ladder[rung - 1])
    }

    /// Whether the rung above may be mixed in: only a rung with the same keyframe interval (interleaving two
    /// intervals would break the keyframe rhythm).
    var canMix: Bool { rung > 0 && ladder[rung - 1].keyframeInterval == settings.keyframeInterval }

    /// The predicted mean cost (s) of rung `i` (its remembered cost, else the current one scaled by the estimate).
    public func predicted(_ i: Int, current: Double) -> Double {
        if let m = measured[i], i != rung { return m }
        return current * ladder.estimatedCost(i) / ladder.estimatedCost(rung)
    }

    /// Feeds one finished frame: its settings and its cost in seconds. Returns the change of rung it caused, if any.
    public mutating func observe(_ frame: FrameSettings?, seconds: Double) -> Change? {
        guard seconds.isFinite, seconds >= 0, isCurrent(frame) else { return nil }
        if skipped < settle {
            skipped += 1
            return nil
        }
        samples.append(seconds)
        guard samples.count >= window else { return nil }
        let mean = samples.reduce(0, +) / Double(samples.count)
        samples.removeAll()
        if mix > 0 { return adjustMix(mean) }
        if let old = measured[rung], old > 0 {
            let factor = mean / old
            for key in measured.keys { measured[key]! *= factor }
        }
        measured[rung] = mean
        if mean > budget * downAbove, rung < ladder.count - 1 {
            let next = (rung + 1..<ladder.count).first { predicted($0, current: mean) <= budget } ?? ladder.count - 1
            return move(to: next, mean: mean)
        }
        if mean > budget, rung < ladder.count - 1 {
            // A little too slow: one rung down, mixing this one back in for the share that lands on the aim.
            let lower = predicted(rung + 1, current: mean)
            let change = move(to: rung + 1, mean: mean)
            if canMix, mean > lower { mix = min(max((budget * aim - lower) / (mean - lower), 0), 0.98) }
            return change
        }
        guard mean <= budget, rung > 0 else { return nil }
        let up = predicted(rung - 1, current: mean)
        if up <= budget * upBelow { return move(to: rung - 1, mean: mean) }
        // Between a rung that fits and one that does not: the share of the better one that lands on the aim.
        if canMix, up > mean { mix = min(max((budget * aim - mean) / (up - mean), 0), 0.98) }
        return nil
    }

    /// While mixing: the mixed frames' mean against what the two rungs' costs predict for the share rescales every
    /// remembered cost (the machine's speed, as on one rung), then the share is set anew for the aim; the mix ends
    /// upward only when the rung above alone fits, downward when this rung alone no longer does.
    private mutating func adjustMix(_ mean: Double) -> Change? {
        let lower = measured[rung] ?? predicted(rung, current: mean)
        let upper = measured[rung - 1] ?? predicted(rung - 1, current: lower)
        let expected = mix * upper + (1 - mix) * lower
        // Within ±8 % the difference is the mixed frames' own noise (keyframes falling unevenly on the two rungs):
        // the share is nudged by half of it; beyond, the machine's speed changed and every cost is rescaled.
        let factor = expected > 0 ? mean / expected : 1
        guard abs(factor - 1) > 0.08 else {
            if upper > lower { mix = min(max(mix - 0.5 * (mean - budget * aim) / (upper - lower), 0), 0.98) }
            return nil
        }
        (measured[rung], measured[rung - 1]) = (lower, upper)
        for key in measured.keys { measured[key]! *= factor }
        let (lo, hi) = (lower * factor, upper * factor)
        if hi <= budget * aim { return move(to: rung - 1, mean: mean) }
        if lo > budget * downAbove, rung < ladder.count - 1 {
            let next = (rung + 1..<ladder.count).first { predicted($0, current: lo) <= budget } ?? ladder.count - 1
            return move(to: next, mean: mean)
        }
        mix = hi > lo ? min(max((budget * aim - lo) / (hi - lo), 0), 0.98) : 0
        return nil
    }

    private mutating func move(to next: Int, mean: Double) -> Change? {
        guard next != rung else { return nil }
        let change = Change(from: rung, to: next, settings: ladder[next], measuredSeconds: mean)
        (rung, mix, credit, skipped) = (next, 0, 0, 0)
        return change
    }
}
