import Pipeline

/// Optimal assignment (Hungarian / Kuhn–Munkres with potentials, O(n²·m)) — pure functions on cost matrices.
public enum Assignment {
    /// A minimum-cost assignment of rows to columns of a rectangular `cost` matrix (rows of equal length):
    /// every row is assigned when rows ≤ columns, every column otherwise. Returns (row, column) pairs sorted by row.
    public static func hungarian(_ cost: [[Double]]) -> [(row: Int, col: Int)] {
        let rows = cost.count
        guard rows > 0, let cols = cost.first?.count, cols > 0 else { return [] }
        if rows > cols {
            let transposed = (0..<cols).map { j in (0..<rows).map { i in cost[i][j] } }
            return solve(transposed).map { (row: $0.col, col: $0.row) }.sorted { $0.row < $1.row }
        }
        return solve(cost)
    }

    /// Assignment with a cost limit, as lapjv's `extend_cost` with `cost_limit`: each row and column may also stay
    /// unmatched at a price of `maxCost / 2`, and pairs costing more than `maxCost` are never made. The result
    /// minimises Σ matched costs + (unmatched rows + unmatched columns) · maxCost / 2, so every pair it returns
    /// costs at most `maxCost`. Returns (row, column) pairs sorted by row.
    public static func match(_ cost: [[Double]], maxCost: Double) -> [(row: Int, col: Int)] {
        let n = cost.count
        guard n > 0, let m = cost.first?.count, m > 0 else { return [] }
        let forbidden = 1e9, half = maxCost / 2
        var extended = [[Double]](repeating: [Double](repeating: 0, count: n + m), count: n + m)
        for i in 0..<(n + m) {
            for j in 0..<(m + n) {
                switch (i < n, j < m) {
                case (true, true):
                    let c = cost[i][j]
                    extended[i][j] = c.isFinite && c <= maxCost ? c : forbidden
                case (true, false), (false, true):
                    extended[i][j] = half
                case (false, false):
                    extended[i][j] = 0
                }
            }
        }
        return solve(extended).filter { $0.row < n && $0.col < m && cost[$0.row][$0.col] <= maxCost }
    }

    /// The classic potentials algorithm (e-maxx formulation) for rows ≤ columns; 1-based internally.
    private static func solve(_ a: [[Double]]) -> [(row: Int, col: Int)] {
        let n = a.count, m = a[0].count
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: m + 1)
        var p = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...m where !used[j] {
                    let cur = a[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j] {
                        minv[j] = cur
                        way[j] = j0
                    }
                    if minv[j] < delta {
                        delta = minv[j]
                        j1 = j
                    }
                }
                for j in 0...m {
                    if used[j] {
                        u[p[j]] += delta
                        v[j] -= delta
                    } else {
                        minv[j] -= delta
                    }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var pairs: [(row: Int, col: Int)] = []
        for j in 1...m where p[j] != 0 { pairs.append((row: p[j] - 1, col: j - 1)) }
        return pairs.sorted { $0.row < $1.row }
    }

    /// Total cost of `pairs` in `cost`.
    public static func total(_ pairs: [(row: Int, col: Int)], in cost: [[Double]]) -> Double {
        pairs.reduce(0) { $0 + cost[$1.row][$1.col] }
    }
}
