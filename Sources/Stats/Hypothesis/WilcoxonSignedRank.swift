import Foundation

/// How `wilcoxonSignedRank` computes its p-value (scipy's `method`).
public enum WilcoxonMethod: String, Sendable, CaseIterable {
    /// scipy's rule: `.asymptotic` for more than 50 differences; else `.exact` without ties and
    /// zeros, `.permutation` with them up to 13 differences, `.asymptotic` above.
    case auto
    /// The null distribution of R₊ without ties (a non-integral R₊ is rounded conservatively, as
    /// scipy).
    case exact
    /// The normal approximation with the tie (and zero) corrected variance.
    case asymptotic
    /// The exact distribution of R₊ over all 2ⁿ sign flips of the observed differences, ties and
    /// zeros included (what scipy's `PermutationMethod` computes by enumeration for n ≤ 13).
    case permutation
}

/// How `wilcoxonSignedRank` treats zero differences (scipy's `zero_method`).
public enum WilcoxonZeroMethod: String, Sendable, CaseIterable {
    /// Drops the zeros before ranking (Wilcoxon).
    case wilcox
    /// Ranks the zeros with the others, then drops their ranks (Pratt).
    case pratt
    /// Ranks the zeros with the others and splits their ranks evenly between R₊ and R₋.
    case zsplit
}

/// The result of the Wilcoxon signed-rank test (`wilcoxonSignedRank`).
public struct WilcoxonResult: HypothesisTestResult, Equatable {
    /// scipy's statistic: min(R₊, R₋) for `.twoSided`, R₊ (the rank sum of the positive
    /// differences) for a one-sided alternative.
    public let statistic: Double
    /// The p-value.
    public let pvalue: Double
    /// The method used (never `.auto`).
    public let method: WilcoxonMethod
    /// The number of ranked differences (scipy's `count`): the nonzero ones for `.wilcox`, all of
    /// them for `.pratt` and `.zsplit`.
    public let n: Int
    /// The number of zero differences.
    public let zeros: Int
}

/// Tests whether paired differences are symmetric about 0 (Wilcoxon signed-rank test).
///
/// Matches `scipy.stats.wilcoxon(x, y, zero_method, correction, alternative, method)` (scipy 1.17).
/// The differences d = x − y (or x alone) are ranked by |d| with average ranks; R₊ sums the ranks
/// of d > 0. `.greater` is the alternative that the differences tend to be positive.
/// - Asymptotic: z = (R₊ − μ)/σ with μ = n(n + 1)/4 and σ² = (n(n + 1)(2n + 1) − Σ(t³ − t)/2)/24
///   over the groups of t tied |d| (Pratt subtracts the zeros' share from μ and σ² and leaves
///   them out of the tie sum, Cureton 1967); `correction` moves z by ½/σ towards 0 (away from the
///   alternative for one-sided tests). When σ = 0 (every difference is 0) the p-value is 1 where
///   scipy gives NaN.
/// - Exact: the distribution of R₊ without ties, P(R₊ = k) = #{subsets of 1…n summing to k}/2ⁿ,
///   with R₊ rounded up for the lower tail and down for the upper tail when ties made it
///   non-integral (scipy's conservative rule). Both tails are summed on their short side, so small
///   p-values keep their relative accuracy (scipy forms P(R₊ ≥ k) above the mean as 1 − P(R₊ < k)).
/// - Permutation: the exact distribution of R₊ over the 2ⁿ equally likely sign flips given the
///   observed |d| (ties and zeros kept); two-sided is 2·min of the tails, capped at 1.
/// - Parameters:
///   - x: the first sample (or the differences), at least one finite value.
///   - y: the second sample, of the same length, or nil.
///   - alternative: the alternative for the location of x − y.
///   - method: how to compute the p-value.
///   - zeroMethod: how zero differences are treated.
///   - correction: whether the asymptotic method uses the continuity correction (scipy's default
///     is false).
/// - Returns: the statistic, the p-value, the method used and the number of ranked differences.
/// - Throws: `StatsError.insufficientData` for no values; `StatsError.invalidArgument` for a NaN
///   or infinity, samples of different lengths, or `.exact`/`.permutation` on more differences than
///   the exact distribution handles (n·Σ ranks above 2·10⁹, about n = 1500).
/// - Complexity: O(n log n) asymptotic; the exact and permutation distributions take O(n³) time and
///   O(n²) memory.
public func wilcoxonSignedRank(_ x: [Double], _ y: [Double]? = nil, alternative: Alternative = .twoSided,
                               method: WilcoxonMethod = .auto, zeroMethod: WilcoxonZeroMethod = .wilcox,
                               correction: Bool = false) throws(StatsError) -> WilcoxonResult {
    let function = "wilcoxonSignedRank"
    try InputCheck.sample(x, "x", function, minCount: 1)
    var d = x
    if let y {
        try InputCheck.sample(y, "y", function, minCount: 1)
        guard y.count == x.count else {
            throw .invalidArgument("\(function): x and y must have the same length, got \(x.count) and \(y.count)")
        }
        d = zip(x, y).map { $0 - $1 }
        for (i, v) in d.enumerated() where !v.isFinite {
            throw .invalidArgument("\(function): x[\(i)] - y[\(i)] must be finite, got \(ParameterCheck.format(v))")
        }
    }
    let total = d.count
    let zeros = d.count(where: { $0 == 0 })
    // The ranked values: the nonzero ones (wilcox) or all (pratt, zsplit); zeros rank first.
    let ranked = zeroMethod == .wilcox ? d.filter { $0 != 0 } : d
    let (ranks, ties) = SampleSummary.ranks(ranked.map { abs($0) })
    var rPlus = 0.0, rMinus = 0.0, rZero = 0.0
    for (v, r) in zip(ranked, ranks) {
        if v > 0 { rPlus += r } else if v < 0 { rMinus += r } else { rZero += r }
    }
    if zeroMethod == .zsplit {
        rPlus += rZero / 2
        rMinus += rZero / 2
    }
    let count = ranked.count
    let hasTies = ties.contains(where: { $0 > 1 })
    var resolved = method
    if method == .auto {
        if total > 50 {
            resolved = .asymptotic
        } else if !hasTies && zeros == 0 {
            resolved = .exact
        } else {
            resolved = total <= 13 ? .permutation : .asymptotic
        }
    }
    let p: Double
    switch resolved {
    case .asymptotic, .auto:
        let nn = Double(count)
        var mean = nn * (nn + 1) * 0.25
        var s = nn * (nn + 1) * (2 * nn + 1)
        var tieGroups = ties
        if zeroMethod == .pratt, zeros > 0 {
            let z = Double(zeros)
            mean -= z * (z + 1) * 0.25
            s -= z * (z + 1) * (2 * z + 1)
            tieGroups.removeFirst()  // the zeros, ranked first
        }
        let tieTerm = tieGroups.reduce(0.0) { $0 + Double($1) * Double($1) * Double($1) - Double($1) }
        let se = ((s - tieTerm / 2) / 24).squareRoot()
        if !(se > 0) {
            p = 1
        } else {
            var z = (rPlus - mean) / se
            if correction {
                let sign: Double
                switch alternative {
                case .greater: sign = 1
                case .less: sign = -1
                case .twoSided: sign = z > 0 ? 1 : (z < 0 ? -1 : 0)
                }
                z -= sign * 0.5 / se
            }
            p = normalPValue(z, alternative)
        }
    case .exact:
        // Ranks 1…count, each in R₊ with probability ½.
        let values = count > 0 ? Array(1...count) : []
        let dist = try SignedRankDistribution(values: values, function: function)
        let lowerK = Int(rPlus.rounded(.up)), upperK = Int(rPlus.rounded(.down))
        switch alternative {
        case .less: p = dist.cdf(lowerK)
        case .greater: p = dist.sf(upperK)
        case .twoSided: p = min(1, 2 * min(dist.sf(upperK), dist.cdf(lowerK)))
        }
    case .permutation:
        // Doubled ranks are integers; R₊ − (its constant zero share) = Σ over d > 0 of the ranks.
        var values: [Int] = []
        var observed = 0
        for (v, r) in zip(ranked, ranks) where v != 0 {
            let twice = Int((2 * r).rounded())
            values.append(twice)
            if v > 0 { observed += twice }
        }
        let dist = try SignedRankDistribution(values: values, function: function)
        switch alternative {
        case .less: p = dist.cdf(observed)
        case .greater: p = dist.sf(observed)
        case .twoSided: p = min(1, 2 * min(dist.sf(observed), dist.cdf(observed)))
        }
    }
    let statistic = alternative == .twoSided ? min(rPlus, rMinus) : rPlus
    return WilcoxonResult(statistic: statistic, pvalue: min(max(p, 0), 1), method: resolved, n: count, zeros: zeros)
}

/// The distribution of S = Σ εᵢvᵢ for independent fair εᵢ ∈ {0, 1} and non-negative integers vᵢ:
/// the signed-rank null distribution (vᵢ = 1…n) or the sign-flip distribution of doubled ranks.
struct SignedRankDistribution {
    /// The most work (number of values × largest sum) accepted: about a second.
    static let workLimit = 2e9

    /// P(S = s) for s = 0…Σv.
    let pmf: [Double]

    /// Builds the distribution by adding one value at a time: f'(s) = ½f(s) + ½f(s − v); every
    /// term is positive, so there is no cancellation.
    init(values: [Int], function: String) throws(StatsError) {
        let total = values.reduce(0, +)
        guard Double(values.count) * Double(total + 1) <= Self.workLimit else {
            throw .invalidArgument("\(function): \(values.count) differences are too many for the exact distribution; use method asymptotic")
        }
        var f = [Double](repeating: 0, count: total + 1)
        f[0] = 1
        var reach = 0
        for v in values {
            reach += v
            if v == 0 { continue }
            var s = reach
            while s >= v {
                f[s] = 0.5 * (f[s] + f[s - v])
                s -= 1
            }
            while s >= 0 {
                f[s] *= 0.5
                s -= 1
            }
        }
        pmf = f
    }

    /// P(S ≤ k), summed over the shorter side.
    func cdf(_ k: Int) -> Double {
        if k < 0 { return 0 }
        if k >= pmf.count - 1 { return 1 }
        let lower = SampleSummary.sum(Array(pmf[0...k]))
        if lower <= 0.5 { return lower }
        return 1 - SampleSummary.sum(Array(pmf[(k + 1)...]))
    }

    /// P(S ≥ k), summed over the shorter side.
    func sf(_ k: Int) -> Double {
        if k <= 0 { return 1 }
        if k > pmf.count - 1 { return 0 }
        let upper = SampleSummary.sum(Array(pmf[k...]))
        if upper <= 0.5 { return upper }
        return 1 - SampleSummary.sum(Array(pmf[0..<k]))
    }
}
