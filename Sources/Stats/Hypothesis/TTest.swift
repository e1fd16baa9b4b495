import Foundation

/// The result of a two-sample t-test (`welchT`, `studentT`).
public struct TTestResult: HypothesisTestResult, Equatable {
    /// The t statistic (x̄ − ȳ)/SE.
    public let t: Double
    /// The degrees of freedom (Welch–Satterthwaite for Welch's test, n₁ + n₂ − 2 for Student's).
    public let df: Double
    /// The p-value from Student's t distribution with `df` degrees of freedom.
    public let pvalue: Double
    /// The difference of the sample means x̄ − ȳ.
    public let meanDifference: Double
    /// The t statistic.
    public var statistic: Double { t }
}

/// Tests whether two independent samples have equal means without assuming equal variances
/// (Welch's t-test).
///
/// Matches `scipy.stats.ttest_ind(x, y, equal_var=False, alternative)`:
/// t = (x̄ − ȳ)/√(s²ₓ/nₓ + s²ᵧ/nᵧ) with ddof-1 variances, Welch–Satterthwaite
/// df = (s²ₓ/nₓ + s²ᵧ/nᵧ)²/((s²ₓ/nₓ)²/(nₓ − 1) + (s²ᵧ/nᵧ)²/(nᵧ − 1)).
/// - Parameters:
///   - x: the first sample, at least 2 finite values.
///   - y: the second sample, at least 2 finite values.
///   - alternative: the alternative on the mean of x minus the mean of y.
/// - Returns: t, df and the p-value.
/// - Throws: `StatsError.insufficientData` when a sample has fewer than 2 values or both samples
///   are constant (the standard error is 0); `StatsError.invalidArgument` for a NaN or infinity.
/// - Complexity: O(nₓ + nᵧ).
public func welchT(_ x: [Double], _ y: [Double], alternative: Alternative = .twoSided) throws(StatsError) -> TTestResult {
    try twoSampleT(x, y, alternative: alternative, equalVariances: false, function: "welchT")
}

/// Tests whether two independent samples have equal means assuming equal variances (Student's
/// t-test with the pooled variance).
///
/// Matches `scipy.stats.ttest_ind(x, y, equal_var=True, alternative)` (scipy's default):
/// s²ₚ = ((nₓ − 1)s²ₓ + (nᵧ − 1)s²ᵧ)/(nₓ + nᵧ − 2), t = (x̄ − ȳ)/√(s²ₚ(1/nₓ + 1/nᵧ)),
/// df = nₓ + nᵧ − 2.
/// - Parameters:
///   - x: the first sample, at least 2 finite values.
///   - y: the second sample, at least 2 finite values.
///   - alternative: the alternative on the mean of x minus the mean of y.
/// - Returns: t, df and the p-value.
/// - Throws: `StatsError.insufficientData` when a sample has fewer than 2 values or both samples
///   are constant; `StatsError.invalidArgument` for a NaN or infinity.
/// - Complexity: O(nₓ + nᵧ).
public func studentT(_ x: [Double], _ y: [Double], alternative: Alternative = .twoSided) throws(StatsError) -> TTestResult {
    try twoSampleT(x, y, alternative: alternative, equalVariances: true, function: "studentT")
}

private func twoSampleT(_ x: [Double], _ y: [Double], alternative: Alternative, equalVariances: Bool,
                        function: String) throws(StatsError) -> TTestResult {
    try InputCheck.sample(x, "x", function, minCount: 2)
    try InputCheck.sample(y, "y", function, minCount: 2)
    let n1 = Double(x.count), n2 = Double(y.count)
    let v1 = SampleSummary.variance(x), v2 = SampleSummary.variance(y)
    let diff = SampleSummary.mean(x) - SampleSummary.mean(y)
    let df: Double, denominator: Double
    if equalVariances {
        df = n1 + n2 - 2
        let pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
        denominator = (pooled * (1 / n1 + 1 / n2)).squareRoot()
    } else {
        let vn1 = v1 / n1, vn2 = v2 / n2
        df = (vn1 + vn2) * (vn1 + vn2) / (vn1 * vn1 / (n1 - 1) + vn2 * vn2 / (n2 - 1))
        denominator = (vn1 + vn2).squareRoot()
    }
    guard denominator > 0 else {
        throw .insufficientData("\(function): both samples are constant, so the standard error is 0 and t is undefined")
    }
    let t = diff / denominator
    return TTestResult(t: t, df: df, pvalue: try studentPValue(t, df: df, alternative), meanDifference: diff)
}
