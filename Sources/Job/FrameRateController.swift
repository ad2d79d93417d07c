import Pipeline

/// Holds a target frame rate by moving along a `QualityLadder`. Pure and clock-free: it is fed the measured cost
/// of each finished frame (seconds, with the settings that frame was computed with) and answers with a change of
/// rung, or nil. Deterministic for a given sequence of costs; used from one task.
///
/// Rules: frames computed with other settings than the current rung's are ignored (they were in flight when the
/// rung changed), and so are the first `settle` frames of a new rung (new input shapes build kernels). Then every
/// `window` frames (a multiple of the keyframe interval, so keyframes and regressed frames average out) it
/// compares the mean cost with the budget 1/target:
/// - above `budget × downAbove`: down to the best rung predicted to fit the budget (the floor rung if none);
/// - below: up one rung if that rung is predicted to cost at most `budget × upBelow`.
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
    public private(set) var rung = 0
    /// Last measured mean cost (s) per rung.
    public private(set) var measured: [Int: Double] = [:]
    private var skipped = 0
    private var samples: [Double] = []

    public init(ladder: QualityLadder, targetFPS: Double, settle: Int = 1, downAbove: Double = 1.05, upBelow: Double = 0.85) {
        precondition(targetFPS > 0 && ladder.count > 0)
        self.ladder = ladder
        self.targetFPS = targetFPS
        self.settle = settle
        self.downAbove = downAbove
        self.upBelow = upBelow
    }

    /// The settings frames should be computed with now.
    public var settings: FrameSettings { ladder[rung] }
    public var budget: Double { 1 / targetFPS }
    /// Frames per decision on the current rung.
    public var window: Int {
        let k = max(settings.keyframeInterval ?? 1, 1)
        return k * ((4 + k - 1) / k)
    }

    /// The predicted mean cost (s) of rung `i` (its remembered cost, else the current one scaled by the estimate).
    public func predicted(_ i: Int, current: Double) -> Double {
        if let m = measured[i], i != rung { return m }
        return current * ladder.estimatedCost(i) / ladder.estimatedCost(rung)
    }

    /// Feeds one finished frame: its settings and its cost in seconds. Returns the change of rung it caused, if any.
    public mutating func observe(_ frame: FrameSettings?, seconds: Double) -> Change? {
        guard frame == settings, seconds.isFinite, seconds >= 0 else { return nil }
        if skipped < settle {
            skipped += 1
            return nil
        }
        samples.append(seconds)
        guard samples.count >= window else { return nil }
        let mean = samples.reduce(0, +) / Double(samples.count)
        samples.removeAll()
        if let old = measured[rung], old > 0 {
            let factor = mean / old
            for key in measured.keys { measured[key]! *= factor }
        }
        measured[rung] = mean
        var next = rung
        if mean > budget * downAbove, rung < ladder.count - 1 {
            next = (rung + 1..<ladder.count).first { predicted($0, current: mean) <= budget } ?? ladder.count - 1
        } else if mean <= budget, rung > 0, predicted(rung - 1, current: mean) <= budget * upBelow {
            next = rung - 1
        }
        guard next != rung else { return nil }
        let change = Change(from: rung, to: next, settings: ladder[next], measuredSeconds: mean)
        rung = next
        skipped = 0
        return change
    }
}
