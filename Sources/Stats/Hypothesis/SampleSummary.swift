// Sample moments and ranks shared by the tests and effect sizes.

/// Accurate sums, means, variances and average ranks of samples.
enum SampleSummary {
    /// Σ x with Neumaier's compensated summation (error a few ulps of Σ|x|, independent of n).
    static func sum(_ x: [Double]) -> Double {
        var s = 0.0, c = 0.0
        for v in x {
            let t = s + v
            if abs(s) >= abs(v) { c += (s - t) + v } else { c += (v - t) + s }
            s = t
        }
        return s + c
    }

    /// The arithmetic mean (NaN for an empty sample).
    static func mean(_ x: [Double]) -> Double {
        sum(x) / Double(x.count)
    }

    /// The variance with `ddof` delta degrees of freedom, two-pass: Σ(x − x̄)²/(n − ddof).
    static func variance(_ x: [Double], ddof: Int = 1) -> Double {
        let m = mean(x)
        var s = 0.0, c = 0.0
        for v in x {
            let d = v - m
            let term = d * d
            let t = s + term
            c += (s - t) + term
            s = t
        }
        return (s + c) / Double(x.count - ddof)
    }

    /// Average (mid-)ranks, 1-based, of `x` and the sizes of its groups of tied values (groups of
    /// one included).
    /// - Complexity: O(n log n).
    static func ranks(_ x: [Double]) -> (ranks: [Double], tieCounts: [Int]) {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var ranks = [Double](repeating: 0, count: x.count)
        var ties: [Int] = []
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, x[order[j + 1]] == x[order[i]] { j += 1 }
            let r = 0.5 * Double(i + j + 2)
            for m in i...j { ranks[order[m]] = r }
            ties.append(j - i + 1)
            i = j + 1
        }
        return (ranks, ties)
    }
}
