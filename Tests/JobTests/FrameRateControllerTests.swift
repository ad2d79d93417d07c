import Job
import Pipeline
import Testing

/// The frame-rate controller fed by a synthetic cost model (no clocks): it converges, never oscillates, respects
/// the floor and only ever moves along the ladder's order.
@Suite("frame-rate controller")
struct FrameRateControllerTests {
    /// A machine whose frame cost is proportional to the model's work: pixels × (convs + RPN on keyframes) plus
    /// box-head work per proposal, bf16 convs 2.5× faster; `speed` scales it all. Keyframe frames cost more than the
    /// regressed ones in between, as in the real model; `jitter` adds a deterministic ±wobble.
    struct Machine {
        var secondsAt800 = 2.4
        var jitter = 0.03
        func cost(_ s: FrameSettings, frame: Int) -> Double {
            let area = Double(s.shortSide! * s.shortSide!) / (800 * 800)
            let keyframe = frame % s.keyframeInterval! == 0
            var convs = area * (0.75 + (keyframe ? 0.2 : 0))
            if s.precision == "bf16" { convs /= 2.5 }
            let box = 0.05 * Double(keyframe ? s.proposals! : 100) / 1000
            let wobble = 1 + jitter * (frame % 3 == 0 ? 1 : frame % 3 == 1 ? -1 : 0)
            return secondsAt800 * (convs + box) * wobble
        }
    }

    /// Runs `frames` frames; each finished frame carries the settings it was computed with. Frames are "in flight"
    /// `lag` frames, so the first frames after a change still carry the old settings (as in the pipelined run).
    static func drive(_ controller: inout FrameRateController, machine: Machine, frames: Int,
                      lag: Int = 3) -> (changes: [FrameRateController.Change], rungs: [Int], costs: [Double]) {
        var inFlight: [FrameSettings] = []
        var changes: [FrameRateController.Change] = []
        var rungs: [Int] = [], costs: [Double] = []
        for frame in 0..<frames {
            inFlight.append(controller.nextSettings())
            guard inFlight.count > lag else { continue }
            let settings = inFlight.removeFirst()
            let cost = machine.cost(settings, frame: frame)
            if let change = controller.observe(settings, seconds: cost) {
                changes.append(change)
            }
            rungs.append(controller.rung)
            costs.append(cost)
        }
        return (changes, rungs, costs)
    }

    let ladder = QualityLadder(start: FrameSettings(shortSide: 800, proposals: 1000, keyframeInterval: 1, precision: "fp32"))

    @Test("the ladder has one documented order: proposals, keyframe interval, then short sides down to the floor")
    func ladderOrder() {
        let sides = Array(stride(from: 768, through: 320, by: -32))
        #expect(ladder.rungs.map(\.proposals!) == [1000] + [Int](repeating: 300, count: 3 + sides.count))
        #expect(ladder.rungs.map(\.keyframeInterval!) == [1, 1, 2] + [Int](repeating: 3, count: 1 + sides.count))
        #expect(ladder.rungs.map(\.shortSide!) == [800, 800, 800, 800] + sides)
        let bf16 = QualityLadder(start: ladder[0], adjustable: [.precision, .proposals, .shortSide], floor: 480)
        #expect(bf16.rungs.map(\.precision!) == ["fp32"] + [ModelPrecision](repeating: "bf16", count: 12))
        #expect(bf16.rungs.map(\.shortSide!) == [800, 800, 800] + Array(stride(from: 768, through: 480, by: -32)))
        #expect(QualityLadder(start: FrameSettings(shortSide: 480, proposals: 200)).rungs.map(\.shortSide!)
                == [480, 480, 480, 448, 416, 384, 352, 320])
        #expect(QualityLadder(start: ladder[0], adjustable: [.shortSide], floor: 300).rungs.map(\.shortSide!).suffix(2) == [320, 300])
        for i in 1..<ladder.count { #expect(ladder.estimatedCost(i) < ladder.estimatedCost(i - 1)) }
    }

    @Test("with a calibration at hand the ladder steps to int8 below fp32 and bf16, and estimates int8 cheapest")
    func int8Rung() {
        let all = QualityLadder(start: ladder[0], adjustable: [.precision, .proposals], precisions: [.fp32, .bf16, .int8])
        #expect(all.rungs.map(\.precision!) == ["fp32", "bf16", "int8", "int8"])
        #expect(all.rungs.map(\.proposals!) == [1000, 1000, 1000, 300])
        for i in 1..<all.count { #expect(all.estimatedCost(i) < all.estimatedCost(i - 1)) }
        // No bf16 units: fp32 → int8 directly; a stage starting at bf16 steps only below it.
        #expect(QualityLadder(start: ladder[0], adjustable: [.precision], precisions: [.fp32, .int8]).rungs.map(\.precision!) == ["fp32", "int8"])
        var bf16Start = ladder[0]
        bf16Start.precision = "bf16"
        #expect(QualityLadder(start: bf16Start, adjustable: [.precision], precisions: [.fp32, .bf16, .int8]).rungs.map(\.precision!) == ["bf16", "int8"])
    }

    @Test("a reachable target: converges to the best rung that fits, then never moves again")
    func converges() {
        for target in [0.5, 0.8, 1.0, 2.0] {
            var c = FrameRateController(ladder: ladder, targetFPS: target)
            let machine = Machine()
            let (changes, rungs, _) = Self.drive(&c, machine: machine, frames: 400)
            // The rung it settled on fits the budget; the one above it does not (or it is rung 0).
            let mean = { (r: Int) in (0..<12).map { machine.cost(ladder[r], frame: $0) }.reduce(0, +) / 12 }
            #expect(mean(c.rung) <= c.budget * c.downAbove, "target \(target): rung \(c.rung)")
            if c.rung > 0 { #expect(mean(c.rung - 1) > c.budget * c.upBelow, "target \(target): could go up") }
            // Settled within the first 100 frames, no change after.
            #expect(rungs.suffix(300).allSatisfy { $0 == c.rung }, "target \(target)")
            #expect(changes.count <= 4, "target \(target): \(changes.map(\.to))")
        }
    }

    @Test("no oscillation: a cost right at the budget's edge does not flip between two rungs")
    func noOscillation() {
        let machine = Machine(jitter: 0.08)
        // Target exactly the cost of rung 5 (short side 512): noise around the budget must not bounce it.
        let edge = (0..<12).map { machine.cost(ladder[5], frame: $0) }.reduce(0, +) / 12
        var c = FrameRateController(ladder: ladder, targetFPS: 1 / edge)
        let (changes, _, _) = Self.drive(&c, machine: machine, frames: 600)
        let directions = changes.map { $0.to > $0.from }
        // At most one turn from going down to going up, and never back down again.
        let turns = zip(directions, directions.dropFirst()).filter { $0 != $1 }.count
        #expect(turns <= 1, "\(changes.map { ($0.from, $0.to) })")
        #expect(changes.count <= 3)
    }

    @Test("an unreachable target: it goes to the floor rung and stays; the floor is never crossed")
    func floor() {
        for floorSide in [320, 480] {
            let ladder = QualityLadder(start: self.ladder[0], floor: floorSide)
            var c = FrameRateController(ladder: ladder, targetFPS: 50)
            let (_, rungs, _) = Self.drive(&c, machine: Machine(), frames: 200)
            #expect(c.rung == ladder.count - 1 && c.settings.shortSide == floorSide)
            #expect(rungs.allSatisfy { ladder[$0].shortSide! >= floorSide })
            #expect(rungs.suffix(150).allSatisfy { $0 == ladder.count - 1 })
        }
    }

    @Test("moves in ladder order, and steps back up one rung at a time when the machine gets faster")
    func ladderOrderAndRecovery() {
        var c = FrameRateController(ladder: ladder, targetFPS: 1.0)
        var (changes, _, _) = Self.drive(&c, machine: Machine(secondsAt800: 4.8), frames: 200)
        // Going down: monotone along the ladder (each change to a later rung than the one before).
        #expect(!changes.isEmpty && changes.allSatisfy { $0.to > $0.from })
        let low = c.rung
        // The load goes away: the same work now costs a quarter. It climbs back, one rung per step, and stays.
        let rungs: [Int]
        (changes, rungs, _) = Self.drive(&c, machine: Machine(secondsAt800: 1.2), frames: 400)
        #expect(!changes.isEmpty && changes.allSatisfy { $0.to == $0.from - 1 }, "\(changes.map { ($0.from, $0.to) })")
        #expect(c.rung < low)
        #expect(rungs.suffix(200).allSatisfy { $0 == c.rung })
        var up = FrameRateController(ladder: ladder, targetFPS: 0.2)
        (changes, _, _) = Self.drive(&up, machine: Machine(), frames: 50)
        #expect(changes.isEmpty && up.rung == 0, "plenty of headroom at rung 0: stays there")
    }

    @Test("frames computed with other settings and the first frame of a new rung are not counted")
    func ignoresStaleFrames() {
        var c = FrameRateController(ladder: ladder, targetFPS: 1)
        for _ in 0..<50 { #expect(c.observe(ladder[3], seconds: 10) == nil) }   // not the current rung
        #expect(c.observe(nil, seconds: 10) == nil)
        #expect(c.rung == 0)
        var changes: [FrameRateController.Change] = []
        for _ in 0..<(c.settle + c.window) { if let ch = c.observe(ladder[0], seconds: 10) { changes.append(ch) } }
        #expect(changes.count == 1 && changes[0].from == 0 && changes[0].to == ladder.count - 1)
    }

    @Test("lands within 10 % of the target at the best quality that fits (mixing the rung above in), with few changes")
    func landsNearTheTarget() {
        let machine = Machine()
        let floorCost = (0..<12).map { machine.cost(ladder[ladder.count - 1], frame: $0) }.reduce(0, +) / 12
        let topCost = (0..<12).map { machine.cost(ladder[0], frame: $0) }.reduce(0, +) / 12
        for target in stride(from: 0.45, through: 4.0, by: 0.05) where 1 / target > floorCost && 1 / target < topCost {
            var c = FrameRateController(ladder: ladder, targetFPS: target)
            let (changes, rungs, costs) = Self.drive(&c, machine: machine, frames: 600)
            let held = Double(300) / costs.suffix(300).reduce(0, +)
            #expect(held >= target * 0.97 && held <= target * 1.10, "target \(target): held \(held) on rung \(c.rung), mix \(c.mix)")
            #expect(changes.count <= 5, "target \(target): \(changes.map { ($0.from, $0.to) })")
            #expect(rungs.suffix(300).allSatisfy { $0 == c.rung }, "target \(target): no rung change once settled")
        }
    }
}
