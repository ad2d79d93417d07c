import Foundation
import Pipeline
import Testing

/// The scheduler's weighting, exactly: which stream fills each batch slot, with no clock involved.
@Suite("Weighted turns: batch slots by stream weight")
struct WeightedTurnsTests {
    /// `slots` picks with every stream of `weights` always ready.
    static func picks(_ weights: [Int], slots: Int) -> [Int] {
        var turns = WeightedTurns()
        let ready = weights.enumerated().map { (id: $0, weight: $1) }
        return (0..<slots).compactMap { _ in turns.next(ready) }
    }

    @Test("equal weights take turns in order, as plain round robin")
    func equalWeights() {
        #expect(Self.picks([1, 1, 1], slots: 9) == [0, 1, 2, 0, 1, 2, 0, 1, 2])
        #expect(Self.picks([3, 3], slots: 4) == [0, 1, 0, 1])
    }

    @Test("weight 2 gets twice the slots of weight 1, spread evenly: every stream within each window of W slots")
    func twiceTheSlots() {
        let picks = Self.picks([2, 1, 1], slots: 400)
        #expect(Array(picks.prefix(8)) == [0, 1, 2, 0, 0, 1, 2, 0])
        #expect(picks.filter { $0 == 0 } .count == 200 && picks.filter { $0 == 1 }.count == 100 && picks.filter { $0 == 2 }.count == 100)
        for start in 0...(picks.count - 4) { #expect(Set(picks[start..<start + 4]) == [0, 1, 2], "starved at \(start)") }
        let skewed = Self.picks([5, 1], slots: 600)
        #expect(skewed.filter { $0 == 1 }.count == 100)
        for start in 0...(skewed.count - 6) { #expect(skewed[start..<start + 6].contains(1), "weight 1 starved at \(start)") }
    }

    @Test("a stream that is not ready neither earns nor pays; one that joins is served within W slots")
    func readiness() {
        var turns = WeightedTurns()
        let a = (id: 0, weight: 3), b = (id: 1, weight: 1)
        #expect((0..<5).map { _ in turns.next([a]) } == [0, 0, 0, 0, 0])
        // Joining after a run alone, b is neither owed nor owing: it gets its 1 of every 4 slots at once.
        let joined = (0..<8).compactMap { _ in turns.next([a, b]) }
        #expect(joined.filter { $0 == 1 }.count == 2 && joined.prefix(4).contains(1), "\(joined)")
        #expect(turns.next([]) == nil)
    }
}
