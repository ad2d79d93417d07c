import Pipeline
import Testing
import Tracker

/// SplitMix64: a tiny seeded generator so the random cases are reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Brute force over every injection of the smaller side into the larger: the least total cost.
func bruteForceMinimum(_ cost: [[Double]]) -> Double {
    let n = cost.count, m = cost[0].count
    var best = Double.infinity
    func go(_ i: Int, _ used: [Bool], _ sum: Double) {
        if n <= m {
            if i == n { best = min(best, sum); return }
            for j in 0..<m where !used[j] { var u = used; u[j] = true; go(i + 1, u, sum + cost[i][j]) }
        } else {
            if i == m { best = min(best, sum); return }
            for r in 0..<n where !used[r] { var u = used; u[r] = true; go(i + 1, u, sum + cost[r][i]) }
        }
    }
    go(0, [Bool](repeating: false, count: max(n, m)), 0)
    return best
}

/// Brute force over every partial matching using pairs ≤ limit: Σ costs + unmatched · limit / 2.
func bruteForceGated(_ cost: [[Double]], limit: Double) -> Double {
    let n = cost.count, m = cost[0].count
    var best = Double.infinity
    func go(_ i: Int, _ used: [Bool], _ sum: Double, _ pairs: Int) {
        if i == n { best = min(best, sum + Double(n + m - 2 * pairs) * limit / 2); return }
        go(i + 1, used, sum, pairs)
        for j in 0..<m where !used[j] && cost[i][j] <= limit {
            var u = used; u[j] = true; go(i + 1, u, sum + cost[i][j], pairs + 1)
        }
    }
    go(0, [Bool](repeating: false, count: m), 0, 0)
    return best
}

@Suite("Assignment and overlap")
struct AssignmentTests {
    @Test("Hungarian equals brute force on 600 random matrices up to 6×6, square and rectangular")
    func hungarianMatchesBruteForce() {
        var rng = SeededRandom(seed: 7)
        for trial in 0..<600 {
            let n = Int.random(in: 1...6, using: &rng), m = Int.random(in: 1...6, using: &rng)
            // Integer costs make ties common, which is where bookkeeping bugs hide.
            let integral = trial % 2 == 0
            let cost = (0..<n).map { _ in (0..<m).map { _ in
                integral ? Double(Int.random(in: 0...5, using: &rng)) : Double.random(in: -1...3, using: &rng) } }
            let pairs = Assignment.hungarian(cost)
            #expect(pairs.count == min(n, m))
            #expect(Set(pairs.map(\.row)).count == pairs.count && Set(pairs.map(\.col)).count == pairs.count)
            #expect(abs(Assignment.total(pairs, in: cost) - bruteForceMinimum(cost)) < 1e-9, "trial \(trial): \(cost)")
        }
    }

    @Test("Gated assignment equals brute force over partial matchings, and never returns a pair above the limit")
    func gatedMatchesBruteForce() {
        var rng = SeededRandom(seed: 11)
        for trial in 0..<400 {
            let n = Int.random(in: 1...5, using: &rng), m = Int.random(in: 1...5, using: &rng)
            let cost = (0..<n).map { _ in (0..<m).map { _ in
                Bool.random(using: &rng) && trial % 3 == 0 ? Double.infinity : Double.random(in: 0...1, using: &rng) } }
            let limit = 0.6
            let pairs = Assignment.match(cost, maxCost: limit)
            #expect(pairs.allSatisfy { cost[$0.row][$0.col] <= limit })
            let objective = Assignment.total(pairs, in: cost) + Double(n + m - 2 * pairs.count) * limit / 2
            #expect(abs(objective - bruteForceGated(cost, limit: limit)) < 1e-9, "trial \(trial): \(cost)")
        }
    }

    @Test("Box IoU: identical, disjoint, half-overlapping, degenerate")
    func boxIoU() {
        let a = Box(x1: 0, y1: 0, x2: 10, y2: 10)
        #expect(a.iou(a) == 1)
        #expect(a.iou(Box(x1: 20, y1: 0, x2: 30, y2: 10)) == 0)
        #expect(abs(a.iou(Box(x1: 5, y1: 0, x2: 15, y2: 10)) - 1.0 / 3) < 1e-12)
        #expect(a.iou(Box(x1: 5, y1: 5, x2: 5, y2: 9)) == 0)
    }

    @Test("Mask IoU on runs equals pixel-counted IoU on 300 random crop pairs (offsets, overhangs, shifts)")
    func maskIoUMatchesPixels() {
        var rng = SeededRandom(seed: 3)
        func randomMask() -> InstanceMask {
            let w = Int.random(in: 1...12, using: &rng), h = Int.random(in: 1...12, using: &rng)
            let density = Double.random(in: 0...1, using: &rng)
            let bits = (0..<(w * h)).map { _ in UInt8(Double.random(in: 0..<1, using: &rng) < density ? 1 : 0) }
            return InstanceMask(x: Int.random(in: -3...8, using: &rng), y: Int.random(in: -3...8, using: &rng),
                                width: w, height: h, bits: bits)
        }
        for _ in 0..<300 {
            let a = randomMask(), b = randomMask()
            let dx = Int.random(in: -4...4, using: &rng), dy = Int.random(in: -4...4, using: &rng)
            var inter = 0, areaA = 0, areaB = 0
            for y in -10..<30 {
                for x in -10..<30 {
                    let inA = a.contains(px: x - dx, py: y - dy), inB = b.contains(px: x, py: y)
                    if inA { areaA += 1 }
                    if inB { areaB += 1 }
                    if inA && inB { inter += 1 }
                }
            }
            let ra = RunLengthMask(a).shifted(dx: dx, dy: dy), rb = RunLengthMask(b)
            #expect(ra.area == areaA && rb.area == areaB)
            #expect(ra.intersectionArea(with: rb) == inter)
            let expected = areaA + areaB - inter > 0 ? Double(inter) / Double(areaA + areaB - inter) : 0
            #expect(abs(Overlap.maskIoU(ra, rb) - expected) < 1e-12)
        }
    }

    @Test("Kalman filter learns a constant velocity and predicts the next box")
    func kalmanConstantVelocity() {
        var filter = KalmanBoxFilter(measurement: BoxState(cx: 10, cy: 20, w: 30, h: 60))
        for k in 1...20 {
            filter.predict()
            filter.update(measurement: BoxState(cx: 10 + 3 * Double(k), cy: 20 - 2 * Double(k), w: 30, h: 60))
        }
        filter.predict()
        #expect(abs(filter.state.cx - 73) < 0.5)
        #expect(abs(filter.state.cy - (-22)) < 0.5)
        #expect(abs(filter.velocity.cx - 3) < 0.1 && abs(filter.velocity.cy + 2) < 0.1)
        #expect(abs(filter.state.w - 30) < 1e-6 && abs(filter.state.h - 60) < 1e-6)
    }
}
