import Foundation

/// A method for combining independent p-values.
public enum CombinePValuesMethod: String, Sendable, CaseIterable {
    /// Fisher's method: X² = −2 Σ log pᵢ ~ χ²_{2k}.
    case fisher
    /// Stouffer's (weighted) Z: Z = Σ wᵢ Φ⁻¹(1 − pᵢ)/√(Σ wᵢ²) ~ N(0, 1).
    case stouffer
}

/// The result of combining p-values (`combinePValues`).
public struct CombinedPValues: HypothesisTestResult, Equatable {
    /// Fisher's X² or Stouffer's Z.
    public let statistic: Double
    /// The combined p-value: P(χ²_{2k} > X²) or P(Z > z).
    public let pvalue: Double
}

/// Combines p-values of independent tests of the same null hypothesis into one p-value.
///
/// Matches `scipy.stats.combine_pvalues(p, method, weights)` for p-values in
/// [10⁻³⁰⁰, 1 − 10⁻¹⁶]. Stouffer uses the upper quantile Φ⁻¹(1 − p) computed from p itself
/// (`norm.isf`), never from 1 − p. Each p-value is first clipped to [10⁻³⁰⁰, 1 − 10⁻¹⁶]: scipy
/// does not clip, so p = 0 gives it X² = ∞ (p-value 0) and Stouffer Z = ±∞, and a 0 together with
/// a 1 gives NaN; the clipped values keep every result finite and order-preserving (a p of 0
/// still yields a combined p-value near 0).
/// - Parameters:
///   - p: the p-values, at least one, each in [0, 1].
///   - method: Fisher (default, as scipy) or Stouffer.
///   - weights: Stouffer's weights, one per p-value, finite, ≥ 0 and not all 0; nil for equal
///     weights. Fisher's method takes no weights.
/// - Returns: the statistic and the combined p-value.
/// - Throws: `StatsError.insufficientData` for no p-values; `StatsError.invalidArgument` for a
///   p-value outside [0, 1] or NaN, weights of the wrong count or a bad weight, or weights with
///   Fisher's method.
/// - Complexity: O(k).
public func combinePValues(_ p: [Double], method: CombinePValuesMethod = .fisher,
                           weights: [Double]? = nil) throws(StatsError) -> CombinedPValues {
    let function = "combinePValues"
    guard !p.isEmpty else { throw .insufficientData("\(function): p must have at least 1 value, got 0") }
    for (i, v) in p.enumerated() { try InputCheck.probability(v, "p[\(i)]", function) }
    let clipped = p.map { min(max($0, 1e-300), 1 - 1e-16) }
    switch method {
    case .fisher:
        if weights != nil {
            throw .invalidArgument("\(function): weights apply only to method stouffer, not fisher")
        }
        let statistic = -2 * SampleSummary.sum(clipped.map { log($0) })
        let pvalue = try ChiSquared(df: Double(2 * p.count)).sf(statistic)
        return CombinedPValues(statistic: statistic, pvalue: pvalue)
    case .stouffer:
        let w = weights ?? [Double](repeating: 1, count: p.count)
        guard w.count == p.count else {
            throw .invalidArgument("\(function): weights must have one value per p-value (\(p.count)), got \(w.count)")
        }
        for (i, v) in w.enumerated() where !(v >= 0 && v.isFinite) {
            throw .invalidArgument("\(function): weights[\(i)] must be finite and >= 0, got \(ParameterCheck.format(v))")
        }
        let norm = SampleSummary.sum(w.map { $0 * $0 }).squareRoot()
        guard norm > 0 else { throw .invalidArgument("\(function): weights must not all be 0") }
        let z = SampleSummary.sum(zip(w, clipped).map { $0 * SpecialFunctions.normalUpperQuantile($1) }) / norm
        return CombinedPValues(statistic: z, pvalue: Normal.standard.sf(z))
    }
}
