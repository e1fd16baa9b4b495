import Foundation

/// The result of the exact McNemar test (`mcnemar`).
public struct McNemarResult: HypothesisTestResult, Equatable {
    /// min(b, c), statsmodels' `statistic` of the exact test (for every alternative).
    public let statistic: Double
    /// The exact p-value.
    public let pvalue: Double
    /// The discordant pairs that changed from no (0) to yes (1).
    public let b: Int
    /// The discordant pairs that changed from yes (1) to no (0).
    public let c: Int
    /// The alternative tested.
    public let alternative: Alternative
}

/// Tests whether paired binary outcomes changed, from the discordant pairs alone (exact McNemar
/// test).
///
/// Each pair is one item measured twice, first (the base) and second (the model). `b` counts the
/// pairs with first 0 and second 1 (base no, model yes) and `c` those with first 1 and second 0;
/// the concordant pairs carry no information. Under H0 (equal marginal proportions) b given b + c
/// is Binomial(b + c, ½). `.twoSided` is min(1, 2·P(X ≤ min(b, c))), which equals statsmodels
/// `mcnemar([[a, b], [c, d]], exact=True).pvalue` and scipy `binomtest(b, b + c)`; `.greater` (the
/// second proportion larger, b > c) is P(X ≥ b) and `.less` is P(X ≤ b). With no discordant pairs the
/// p-value is 1.
/// - Parameters:
///   - b: the pairs with first 0 and second 1, 0 … 2⁵⁰.
///   - c: the pairs with first 1 and second 0, 0 … 2⁵⁰.
///   - alternative: the alternative on the second proportion minus the first.
/// - Returns: min(b, c) and the exact p-value.
/// - Throws: `StatsError.invalidArgument` for a negative count or a count above 2⁵⁰.
/// - Complexity: O(1) incomplete-beta evaluations.
public func mcnemar(b: Int, c: Int, alternative: Alternative = .twoSided) throws(StatsError) -> McNemarResult {
    let function = "mcnemar"
    for (name, v) in [("b", b), ("c", c)] where v < 0 || v > InputCheck.maxCount {
        throw .invalidArgument("\(function): \(name) must be in 0...\(InputCheck.maxCount), got \(v)")
    }
    let statistic = Double(min(b, c))
    let n = b + c
    guard n > 0 else {
        return McNemarResult(statistic: 0, pvalue: 1, b: b, c: c, alternative: alternative)
    }
    let dist = try Binomial(n: n, p: 0.5)
    let p: Double
    switch alternative {
    case .twoSided: p = min(1, 2 * dist.cdf(statistic))
    case .greater: p = dist.sf(Double(b) - 1)
    case .less: p = dist.cdf(Double(b))
    }
    return McNemarResult(statistic: statistic, pvalue: p, b: b, c: c, alternative: alternative)
}
