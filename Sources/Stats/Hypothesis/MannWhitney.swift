import Foundation

/// How `mannWhitney` computes its p-value.
public enum MannWhitneyMethod: String, Sendable, CaseIterable {
    /// `.exact` when one sample has at most 8 values and there are no ties, else `.asymptotic`
    /// (scipy's rule).
    case auto
    /// The exact null distribution of U (no tie correction; a fractional U is truncated, as scipy).
    case exact
    /// The normal approximation with the tie-corrected variance (and optional continuity correction).
    case asymptotic
}

/// The result of a Mann–Whitney U test (`mannWhitney`).
public struct MannWhitneyResult: HypothesisTestResult, Equatable {
    /// U₁, the Mann–Whitney statistic of the first sample: the number of pairs (xᵢ, yⱼ) with
    /// xᵢ > yⱼ plus half the number of ties.
    public let u: Double
    /// The p-value.
    public let pvalue: Double
    /// The method used (`.exact` or `.asymptotic`; never `.auto`).
    public let method: MannWhitneyMethod
    /// U₁.
    public var statistic: Double { u }
}

/// Tests whether two independent samples come from the same distribution against a shift of one
/// against the other (Mann–Whitney U, Wilcoxon rank-sum).
///
/// Matches `scipy.stats.mannwhitneyu(x, y, use_continuity, alternative, method)`: U₁ = R₁ −
/// n₁(n₁ + 1)/2 from average ranks; `.greater` (x stochastically larger) uses U₁, `.less` uses
/// U₂ = n₁n₂ − U₁ and `.twoSided` uses max(U₁, U₂) with the one-sided p-value doubled (capped at
/// 1). Asymptotic: z = (U − n₁n₂/2 − ½)/σ with σ² = n₁n₂/12·((n + 1) − Σ(t³ − t)/(n(n − 1)))
/// over the groups of t tied values. When every value is tied, σ = 0 and the p-value is 1 (scipy
/// gives 1 with the continuity correction, NaN without).
/// - Parameters:
///   - x: the first sample, at least one finite value.
///   - y: the second sample, at least one finite value.
///   - alternative: the alternative for x relative to y.
///   - method: how to compute the p-value. `.auto` also falls back to `.asymptotic` when the exact
///     distribution would take more than about a second (a sample of up to 8 values against
///     thousands, where the normal approximation is excellent; scipy would still be exact).
///   - useContinuity: whether the asymptotic method subtracts ½ from |U − n₁n₂/2|.
/// - Returns: U₁, the p-value and the method used.
/// - Throws: `StatsError.insufficientData` for an empty sample; `StatsError.invalidArgument` for a
///   NaN or infinity, or for `.exact` with samples too large for it (n₁n₂·min(U, n₁n₂ − U) above
///   2·10⁹).
/// - Complexity: O(n log n) asymptotic; the exact distribution takes
///   O(n₁·n₂·min(U, n₁n₂ − U)) time and O(min(n₁, n₂)·min(U, n₁n₂ − U)) memory.
public func mannWhitney(_ x: [Double], _ y: [Double], alternative: Alternative = .twoSided,
                        method: MannWhitneyMethod = .auto, useContinuity: Bool = true) throws(StatsError) -> MannWhitneyResult {
    let function = "mannWhitney"
    try InputCheck.sample(x, "x", function, minCount: 1)
    try InputCheck.sample(y, "y", function, minCount: 1)
    let n1 = x.count, n2 = y.count
    let (ranks, ties) = SampleSummary.ranks(x + y)
    let r1 = SampleSummary.sum(Array(ranks[0..<n1]))
    let u1 = r1 - Double(n1) * Double(n1 + 1) / 2
    let u2 = Double(n1) * Double(n2) - u1
    let u: Double, factor: Double
    switch alternative {
    case .greater: u = u1; factor = 1
    case .less: u = u2; factor = 1
    case .twoSided: u = max(u1, u2); factor = 2
    }
    let exactU = Int(u.rounded(.towardZero))
    let exactFits = MannWhitneyExact.fits(exactU, n1, n2)
    var resolved = method
    if method == .auto {
        resolved = (n1 > 8 && n2 > 8) || ties.contains(where: { $0 > 1 }) || !exactFits ? .asymptotic : .exact
    }
    var p: Double
    if resolved == .exact {
        guard exactFits else {
            throw .invalidArgument("\(function): samples of \(n1) and \(n2) values are too large for method exact (n1*n2*min(U, n1*n2 - U) > \(Int(MannWhitneyExact.workLimit))); use asymptotic")
        }
        p = MannWhitneyExact.sf(exactU, n1, n2)
    } else {
        let nn1 = Double(n1), nn2 = Double(n2), n = nn1 + nn2
        let tieTerm = ties.reduce(0.0) { $0 + Double($1) * Double($1) * Double($1) - Double($1) }
        let s = (nn1 * nn2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))).squareRoot()
        if !(s > 0) {
            p = 1
        } else {
            var numerator = u - nn1 * nn2 / 2
            if useContinuity { numerator -= 0.5 }
            p = Normal.standard.sf(numerator / s)
        }
    }
    p = min(max(p * factor, 0), 1)
    return MannWhitneyResult(u: u1, pvalue: p, method: resolved)
}

/// The exact null distribution of the Mann–Whitney U statistic (no ties).
enum MannWhitneyExact {
    /// The most work (n₁·n₂·(k + 1) for the tail up to k) the exact method takes on: about a
    /// second; the memory is min(n₁, n₂)·(k + 1) doubles, at most 3·10⁸ bytes.
    static let workLimit = 2e9

    /// Whether P(U ≥ u) for sizes m, n is within `workLimit` (and the memory bound).
    static func fits(_ u: Int, _ m: Int, _ n: Int) -> Bool {
        let total = Double(m) * Double(n)
        let k = min(Double(max(u, 0)), max(total - Double(u), 0)) + 1
        return total * k <= workLimit && Double(min(m, n)) * k <= 4e7
    }

    /// P(U ≥ u) for samples of sizes m and n.
    ///
    /// By the symmetry of U about mn/2, the sum is always over the shorter tail, P(U ≤ mn − u) or
    /// 1 − P(U ≤ u − 1), so small p-values keep their relative accuracy.
    static func sf(_ u: Int, _ m: Int, _ n: Int) -> Double {
        let total = m * n
        if u <= 0 { return 1 }
        if u > total { return 0 }
        let complement = total - u
        if u >= complement { return cdf(complement, m, n) }
        return 1 - cdf(u - 1, m, n)
    }

    /// P(U ≤ k) for samples of sizes m and n, by the recurrence on the largest observation:
    /// P_{i,j}(u) = i/(i+j)·P_{i−1,j}(u − j) + j/(i+j)·P_{i,j−1}(u). Every term is a probability
    /// and positive, so there is no cancellation (scipy uses Löffler's recurrence on counts).
    static func cdf(_ k: Int, _ m0: Int, _ n0: Int) -> Double {
        if k < 0 { return 0 }
        let m = min(m0, n0), n = max(m0, n0)
        if k >= m * n { return 1 }
        let width = k + 1
        // f[i] is the distribution of U for sizes (i, j), truncated to 0…k, for the current j.
        var f = [[Double]](repeating: [Double](repeating: 0, count: width), count: m + 1)
        for i in 0...m { f[i][0] = 1 }
        if n >= 1 {
            for j in 1...n {
                if m >= 1 {
                    for i in 1...m {
                        let a = Double(i) / Double(i + j), b = Double(j) / Double(i + j)
                        let limit = min(k, i * j)
                        var next = [Double](repeating: 0, count: width)
                        for v in 0...limit {
                            var value = b * f[i][v]
                            if v >= j { value += a * f[i - 1][v - j] }
                            next[v] = value
                        }
                        f[i] = next
                    }
                }
            }
        }
        return min(1, SampleSummary.sum(f[m]))
    }
}
