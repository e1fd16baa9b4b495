import Foundation

/// Returns Cohen's h, the difference of two proportions on the arcsine scale: 2·asin√p₁ − 2·asin√p₂.
///
/// Matches `statsmodels.stats.proportion.proportion_effectsize(p1, p2)`; the effect size of
/// `powerTwoProportions`.
/// - Parameters:
///   - p1: the first proportion, in [0, 1].
///   - p2: the second proportion, in [0, 1].
/// - Returns: h, in [−π, π].
/// - Throws: `StatsError.invalidArgument` for a proportion outside [0, 1] or NaN.
public func cohensH(p1: Double, p2: Double) throws(StatsError) -> Double {
    try InputCheck.probability(p1, "p1", "cohensH")
    try InputCheck.probability(p2, "p2", "cohensH")
    return 2 * asin(p1.squareRoot()) - 2 * asin(p2.squareRoot())
}

/// Returns Cohen's d, the standardized mean difference (x̄ − ȳ)/s with the pooled standard deviation.
///
/// s² = ((n₁ − 1)s²ₓ + (n₂ − 1)s²ᵧ)/(n₁ + n₂ − 2) with ddof-1 sample variances (as
/// `pingouin.compute_effsize(x, y, eftype='cohen')`).
/// - Parameters:
///   - x: the first sample, at least 2 finite values.
///   - y: the second sample, at least 2 finite values.
/// - Returns: d.
/// - Throws: `StatsError.insufficientData` when a sample has fewer than 2 values or both are
///   constant (s = 0); `StatsError.invalidArgument` for a NaN or infinity.
public func cohensD(_ x: [Double], _ y: [Double]) throws(StatsError) -> Double {
    try standardizedDifference(x, y, function: "cohensD")
}

/// Returns Hedges' g, Cohen's d with the small-sample correction: d·(1 − 3/(4(n₁ + n₂) − 9)).
///
/// The correction is the usual approximation of J(n₁ + n₂ − 2) (Hedges 1981), as
/// `pingouin.compute_effsize(x, y, eftype='hedges')`.
/// - Parameters:
///   - x: the first sample, at least 2 finite values.
///   - y: the second sample, at least 2 finite values.
/// - Returns: g.
/// - Throws: as `cohensD`.
public func hedgesG(_ x: [Double], _ y: [Double]) throws(StatsError) -> Double {
    let d = try standardizedDifference(x, y, function: "hedgesG")
    return d * (1 - 3 / (4 * Double(x.count + y.count) - 9))
}

private func standardizedDifference(_ x: [Double], _ y: [Double], function: String) throws(StatsError) -> Double {
    try InputCheck.sample(x, "x", function, minCount: 2)
    try InputCheck.sample(y, "y", function, minCount: 2)
    let n1 = Double(x.count), n2 = Double(y.count)
    let pooled = ((n1 - 1) * SampleSummary.variance(x) + (n2 - 1) * SampleSummary.variance(y)) / (n1 + n2 - 2)
    guard pooled > 0 else {
        throw .insufficientData("\(function): both samples are constant, so the pooled standard deviation is 0")
    }
    return (SampleSummary.mean(x) - SampleSummary.mean(y)) / pooled.squareRoot()
}

/// Returns the rank-biserial correlation of two samples: 2·U₁/(n₁n₂) − 1.
///
/// U₁ is the Mann–Whitney statistic of x (`mannWhitney(x, y).u`, ties counted ½); the result is
/// P(X > Y) − P(X < Y) for a random pair, in [−1, 1], positive when x tends to be larger.
/// - Parameters:
///   - x: the first sample, at least one finite value.
///   - y: the second sample, at least one finite value.
/// - Returns: the correlation.
/// - Throws: `StatsError.insufficientData` for an empty sample; `StatsError.invalidArgument` for a
///   NaN or infinity.
public func rankBiserial(_ x: [Double], _ y: [Double]) throws(StatsError) -> Double {
    let function = "rankBiserial"
    try InputCheck.sample(x, "x", function, minCount: 1)
    try InputCheck.sample(y, "y", function, minCount: 1)
    let ranks = SampleSummary.ranks(x + y).ranks
    let n1 = Double(x.count)
    let u1 = SampleSummary.sum(Array(ranks[0..<x.count])) - n1 * (n1 + 1) / 2
    return 2 * u1 / (n1 * Double(y.count)) - 1
}

/// Returns Cramér's V of an r×c contingency table: √(χ²/(n·(min(r, c) − 1))).
///
/// χ² is Pearson's statistic without continuity correction, as
/// `scipy.stats.contingency.association(table, method='cramer')`.
/// - Parameter table: the counts, at least 2 rows and 2 columns of equal length, finite and ≥ 0.
/// - Returns: V, in [0, 1].
/// - Throws: `StatsError.invalidArgument` for a table with fewer than 2 rows or columns, a ragged
///   table or a negative or non-finite count; `StatsError.insufficientData` when a row or column
///   sums to 0.
public func cramersV(_ table: [[Double]]) throws(StatsError) -> Double {
    let function = "cramersV"
    guard table.count >= 2, let c = table.first?.count, c >= 2 else {
        throw .invalidArgument("\(function): table must have at least 2 rows and 2 columns, got \(table.count) rows of lengths \(table.map(\.count))")
    }
    let total = try ContingencyTable.margins(table, function).total
    // The table is valid for chi2Contingency once its margins are.
    let chi2 = try chi2Contingency(table, correction: false).statistic
    return (chi2 / total / Double(min(table.count, c) - 1)).squareRoot()
}

