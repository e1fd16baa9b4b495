import Foundation

/// The result of the sign test (`signTest`).
public struct SignTestResult: HypothesisTestResult, Equatable {
    /// statsmodels' M = (n₊ − n₋)/2.
    public let statistic: Double
    /// The exact binomial p-value.
    public let pvalue: Double
    /// The differences above mu.
    public let positive: Int
    /// The differences below mu.
    public let negative: Int
    /// The differences equal to mu (dropped).
    public let zeros: Int
}

/// Tests whether the median of paired differences is mu (the sign test).
///
/// Differences equal to `mu` are dropped; the number n₊ above it is Binomial(n₊ + n₋, ½) under H0
/// and the p-value is `binomTest(k: n₊, n: n₊ + n₋, p: 0.5, alternative:)` (scipy `binomtest`;
/// two-sided it equals statsmodels `sign_test(d, mu0).pvalue`). `.greater` is the alternative that
/// the median exceeds mu. When every difference equals mu no sign carries information and the
/// p-value is 1 (scipy and statsmodels reject n = 0).
/// - Parameters:
///   - differences: the paired differences (e.g. model − base), at least one, all finite.
///   - alternative: the alternative on the median difference relative to mu.
///   - mu: the median under H0, finite.
/// - Returns: M = (n₊ − n₋)/2, the p-value and the counts.
/// - Throws: `StatsError.insufficientData` for no differences; `StatsError.invalidArgument` for a
///   NaN or infinite difference or mu.
/// - Complexity: O(n).
public func signTest(_ differences: [Double], alternative: Alternative = .twoSided,
                     mu: Double = 0) throws(StatsError) -> SignTestResult {
    let function = "signTest"
    try InputCheck.sample(differences, "differences", function, minCount: 1)
    try InputCheck.finite(mu, "mu", function)
    let positive = differences.count(where: { $0 > mu })
    let negative = differences.count(where: { $0 < mu })
    let zeros = differences.count - positive - negative
    let statistic = 0.5 * Double(positive - negative)
    guard positive + negative > 0 else {
        return SignTestResult(statistic: 0, pvalue: 1, positive: 0, negative: 0, zeros: zeros)
    }
    let r = try binomTest(k: positive, n: positive + negative, p: 0.5, alternative: alternative)
    return SignTestResult(statistic: statistic, pvalue: r.pvalue, positive: positive, negative: negative, zeros: zeros)
}
