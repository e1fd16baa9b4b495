import Foundation

/// The result of a pooled two-proportion z-test (`twoProportionZ`).
public struct TwoProportionZResult: HypothesisTestResult, Equatable {
    /// The z statistic (p̂₁ − p̂₂)/√(p̄(1 − p̄)(1/n₁ + 1/n₂)).
    public let z: Double
    /// The normal p-value.
    public let pvalue: Double
    /// The difference of the sample proportions p̂₁ − p̂₂.
    public let difference: Double
    /// The z statistic.
    public var statistic: Double { z }
}

/// Tests whether two proportions are equal with the pooled-variance z-test.
///
/// Matches `statsmodels.stats.proportion.proportions_ztest([k1, k2], [n1, n2], alternative)`
/// (pooled p̄ = (k₁ + k₂)/(n₁ + n₂); `.greater` is statsmodels' "larger": p₁ > p₂). z² equals
/// the uncorrected Pearson χ² of the 2×2 table. When no trial or every trial succeeds (p̄ = 0
/// or 1) the standard error is 0 and z is undefined (statsmodels returns NaN); then z = 0 and
/// p = 1, the exact conditional p-value of a table with a single possible outcome.
/// - Parameters:
///   - k1: successes in the first group, 0 ≤ k1 ≤ n1.
///   - n1: trials in the first group, ≥ 1.
///   - k2: successes in the second group, 0 ≤ k2 ≤ n2.
///   - n2: trials in the second group, ≥ 1.
///   - alternative: the alternative on p₁ − p₂.
/// - Returns: z, the p-value and p̂₁ − p̂₂.
/// - Throws: `StatsError.invalidArgument` for a count outside 0…n or n outside 1…2⁵⁰.
public func twoProportionZ(k1: Int, n1: Int, k2: Int, n2: Int,
                           alternative: Alternative = .twoSided) throws(StatsError) -> TwoProportionZResult {
    let function = "twoProportionZ"
    try InputCheck.trials(k: k1, n: n1, function, kName: "k1", nName: "n1")
    try InputCheck.trials(k: k2, n: n2, function, kName: "k2", nName: "n2")
    let p1 = Double(k1) / Double(n1), p2 = Double(k2) / Double(n2)
    let diff = p1 - p2
    let pooled = Double(k1 + k2) / Double(n1 + n2)
    if k1 + k2 == 0 || k1 + k2 == n1 + n2 {
        return TwoProportionZResult(z: 0, pvalue: 1, difference: diff)
    }
    let nobsFactor = 1 / Double(n1) + 1 / Double(n2)
    let z = diff / (pooled * (1 - pooled) * nobsFactor).squareRoot()
    return TwoProportionZResult(z: z, pvalue: normalPValue(z, alternative), difference: diff)
}

/// The p-value of a standard normal statistic: 2·P(Z > |z|), P(Z > z) or P(Z < z), each tail
/// computed directly.
func normalPValue(_ z: Double, _ alternative: Alternative) -> Double {
    let n = Normal.standard
    switch alternative {
    case .twoSided: return min(1, 2 * n.sf(abs(z)))
    case .greater: return n.sf(z)
    case .less: return n.cdf(z)
    }
}

/// The p-value of a t statistic with `df` degrees of freedom, as `normalPValue`.
func studentPValue(_ t: Double, df: Double, _ alternative: Alternative) throws(StatsError) -> Double {
    let dist = try StudentT(df: df)
    switch alternative {
    case .twoSided: return min(1, 2 * dist.sf(abs(t)))
    case .greater: return dist.sf(t)
    case .less: return dist.cdf(t)
    }
}
