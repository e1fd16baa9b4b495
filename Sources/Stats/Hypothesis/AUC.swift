import Foundation

/// The area under the ROC curve with its DeLong interval (`auc`).
public struct AUCResult: HypothesisTestResult, Equatable {
    /// The AUC, P(X > Y) + ½P(X = Y) for a random positive X and negative Y: U/(n₊n₋).
    public let auc: Double
    /// DeLong's standard error of the AUC.
    public let se: Double
    /// The DeLong interval AUC ± z_{(1+level)/2}·SE, clipped to [0, 1].
    public let ci: Interval
    /// The two-sided asymptotic Mann–Whitney p-value for AUC = ½ (tie and continuity corrected).
    public let pvalue: Double
    /// The AUC.
    public var statistic: Double { auc }
}

/// Computes the area under the ROC curve of scores of positives and negatives, with DeLong's
/// confidence interval and the Mann–Whitney p-value for AUC = ½.
///
/// The AUC is the Mann–Whitney U of the positives over n₊n₋ (ties count ½). DeLong, DeLong &
/// Clarke-Pearson (1988): with the structural components V₁₀(xᵢ) = mean over negatives of
/// ψ(xᵢ, y) and V₀₁(yⱼ) = mean over positives of ψ(x, yⱼ), ψ = 1, ½, 0 for >, =, <,
/// Var(AUC) = S₁₀/n₊ + S₀₁/n₋ with S the ddof-1 sample variances of the components (computed
/// from midranks, Sun & Xu 2014). The interval is AUC ± z·SE clipped to [0, 1] (as pROC); it is
/// the single point AUC when the components are constant (e.g. perfect separation). The p-value is
/// `mannWhitney(positive, negative, alternative: .twoSided, method: .asymptotic)`.
/// - Parameters:
///   - positive: scores of the positive cases, at least 2 finite values.
///   - negative: scores of the negative cases, at least 2 finite values.
///   - level: the confidence level, in (0, 1).
/// - Returns: the AUC, its standard error, interval and p-value.
/// - Throws: `StatsError.insufficientData` when a group has fewer than 2 scores;
///   `StatsError.invalidArgument` for a NaN or infinity or a level outside (0, 1).
/// - Complexity: O(n log n).
public func auc(positive: [Double], negative: [Double], level: Double = 0.95) throws(StatsError) -> AUCResult {
    let function = "auc"
    try InputCheck.sample(positive, "positive", function, minCount: 2)
    try InputCheck.sample(negative, "negative", function, minCount: 2)
    try InputCheck.level(level, function)
    let n1 = positive.count, n0 = negative.count
    let pooledRanks = SampleSummary.ranks(positive + negative).ranks
    let positiveRanks = SampleSummary.ranks(positive).ranks
    let negativeRanks = SampleSummary.ranks(negative).ranks
    // V10(x_i) = (pooled rank − rank among positives)/n0: the negatives below x_i, ties ½.
    let v10 = (0..<n1).map { (pooledRanks[$0] - positiveRanks[$0]) / Double(n0) }
    // V01(y_j) = 1 − (pooled rank − rank among negatives)/n1: the positives above y_j, ties ½.
    let v01 = (0..<n0).map { 1 - (pooledRanks[n1 + $0] - negativeRanks[$0]) / Double(n1) }
    let area = SampleSummary.mean(v10)
    let variance = SampleSummary.variance(v10) / Double(n1) + SampleSummary.variance(v01) / Double(n0)
    let se = variance.squareRoot()
    let z = SpecialFunctions.normalUpperQuantile(0.5 * (1 - level))
    let ci = Interval(lower: max(0, area - z * se), upper: min(1, area + z * se), level: level)
    let pvalue = try mannWhitney(positive, negative, alternative: .twoSided, method: .asymptotic).pvalue
    return AUCResult(auc: area, se: se, ci: ci, pvalue: pvalue)
}
