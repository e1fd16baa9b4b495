/// The optimal matching of a linear assignment problem.
public struct Assignment: Sendable, Equatable {
    /// The matched (row, column) pairs, 0-based, sorted by row; min(rows, cols) of them.
    public var pairs: [(row: Int, col: Int)]
    /// The summed cost of the pairs.
    public var total: Double

    public static func == (a: Assignment, b: Assignment) -> Bool {
        a.total == b.total && a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0 == $1 }
    }
}

/// The linear assignment problem (Hungarian method).
public enum LinearAssignment {
    /// Matches rows to columns of a rectangular cost matrix so that the summed cost is smallest (or largest).
    ///
    /// Every row is matched when rows ≤ cols, every column otherwise (as `scipy.optimize.linear_sum_assignment`).
    /// Kuhn–Munkres with row and column potentials and shortest augmenting paths (the e-maxx formulation of
    /// Jonker–Volgenant's Dijkstra step), on the transpose when there are more rows than columns.
    /// - Parameters:
    ///   - cost: the cost matrix, a list of rows of equal length.
    ///   - maximize: find the largest total instead.
    /// - Throws: `BehaviorError` for an empty or ragged matrix, or a NaN or infinite entry (named by position).
    /// - Complexity: O(r²·c) for r = min(rows, cols), c = max(rows, cols).
    public static func solve(_ cost: [[Double]], maximize: Bool = false) throws -> Assignment {
        guard !cost.isEmpty, !cost[0].isEmpty else { throw BehaviorError("cost must have at least one row and one column") }
        let rows = cost.count, cols = cost[0].count
        for (i, row) in cost.enumerated() {
            guard row.count == cols else {
                throw BehaviorError("cost row \(i + 1) has \(row.count) entries, expected \(cols) (the length of row 1)")
            }
            for (j, v) in row.enumerated() where !v.isFinite {
                throw BehaviorError("cost[\(i + 1)][\(j + 1)] is \(v), every cost must be finite")
            }
        }
        let transposed = rows > cols
        let n = min(rows, cols), m = max(rows, cols)
        // a[i][j], 1-based with a dummy row/column 0, n ≤ m.
        let sign = maximize ? -1.0 : 1.0
        func a(_ i: Int, _ j: Int) -> Double { sign * (transposed ? cost[j - 1][i - 1] : cost[i - 1][j - 1]) }
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: m + 1)
        var p = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
        var minv = [Double](repeating: 0, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            for j in 0...m { minv[j] = .infinity; used[j] = false }
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...m where !used[j] {
                    let cur = a(i0, j) - u[i0] - v[j]
                    if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...m {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
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
        for j in 1...m where p[j] != 0 {
            pairs.append(transposed ? (row: j - 1, col: p[j] - 1) : (row: p[j] - 1, col: j - 1))
        }
        pairs.sort { $0.row < $1.row }
        let total = pairs.reduce(0.0) { $0 + cost[$1.row][$1.col] }
        return Assignment(pairs: pairs, total: total)
    }
}
