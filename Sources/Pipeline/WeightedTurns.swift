/// Whose frame goes into the next slot of a micro-batch, among the streams with a frame ready: smooth weighted round
/// robin (as nginx balances upstreams). Each call, every ready stream earns its weight in credit; the one with the
/// most (the first in the given order on a tie) is chosen and pays the ready streams' total weight. While a set of
/// streams stays ready, a stream of weight w gets w of every W slots (W: the set's total) spread evenly, so weight 2
/// gets twice the slots of weight 1 and none waits more than W slots; equal weights take turns in order. A stream
/// that is not ready neither earns nor pays. Pure and clock-free; a value, used under the scheduler's lock.
public struct WeightedTurns: Sendable, Equatable {
    private var credit: [Int: Int] = [:]

    public init() {}

    /// The stream to take the next frame from, among `ready` (stream id and its weight, ≥ 1, in the scheduler's
    /// order); nil when none is ready.
    public mutating func next(_ ready: [(id: Int, weight: Int)]) -> Int? {
        guard !ready.isEmpty else { return nil }
        var chosen = ready[0].id, best = Int.min, total = 0
        for (id, weight) in ready {
            let w = max(1, weight)
            let c = credit[id, default: 0] + w
            credit[id] = c
            total += w
            if c > best { (chosen, best) = (id, c) }
        }
        credit[chosen, default: 0] -= total
        return chosen
    }

    /// Forgets a stream that left the run.
    public mutating func forget(_ id: Int) { credit[id] = nil }
}
