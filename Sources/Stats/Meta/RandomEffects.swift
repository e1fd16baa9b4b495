import Foundation

/// An estimator of the between-study variance τ² of a random-effects meta-analysis.
public enum RandomEffectsMethod: String, Sendable, CaseIterable {
    /// DerSimonian–Laird (method of moments): τ² = max(0, (Q − (k − 1))/(Σw − Σw²/Σw)).
    case dl
    /// Paule–Mandel: the τ² ≥ 0 at which the generalized Q, Σ(yᵢ − μ̂)²/(vᵢ + τ²), equals k − 1.
    case pm
}

/// The result of a random-effects meta-analysis (`randomEffects`).
public struct RandomEffectsResult: Sendable, Equatable {
    /// The pooled effect μ̂ = Σ wᵢ*yᵢ/Σ wᵢ* with wᵢ* = 1/(vᵢ + τ²).
    public let estimate: Double
    /// The standard error of the pooled effect, 1/√(Σ wᵢ*).
    public let se: Double
    /// The normal interval μ̂ ± z_{(1+level)/2}·SE.
    public let ci: Interval
    /// The between-study variance τ² (≥ 0).
    public let tau2: Double
    /// Cochran's Q = Σ (yᵢ − ȳ_FE)²/vᵢ about the fixed-effect mean.
    public let q: Double
    /// The degrees of freedom of Q, k − 1.
    public let df: Int
    /// The heterogeneity p-value P(χ²_{k−1} > Q).
    public let qPvalue: Double
    /// Higgins' I² = max(0, (Q − (k − 1))/Q), the share of variation due to heterogeneity.
    public let i2: Double
    /// The fixed-effect (inverse-variance) pooled effect ȳ_FE.
    public let fixedEstimate: Double
    /// The standard error of the fixed-effect estimate, 1/√(Σ 1/vᵢ).
    public let fixedSE: Double
}

/// Pools study effects with known within-study variances in a random-effects model.
///
/// Matches `statsmodels.stats.meta_analysis.combine_effects(effects, variances, method_re=…,
/// alpha=1−level)` with method_re 'chi2' (DerSimonian–Laird) or 'iterated' (Paule–Mandel), and its
/// `conf_int(use_t=False)` random-effects row (normal quantile). Two deliberate differences, both
/// standard conventions: τ² and I² are truncated at 0 when Q < k − 1 (statsmodels 0.15 returns the
/// negative DL moment estimate and a negative I²; the Paule–Mandel fit already stops at 0), and
/// the Paule–Mandel equation is solved to full precision by Brent's method (statsmodels stops its
/// iteration when the estimating equation is within 1e-5 of 0, its default `atol`).
/// - Parameters:
///   - effects: the study effects yᵢ, at least 2, finite.
///   - variances: their variances vᵢ, one per effect, finite and > 0.
///   - method: the τ² estimator (DerSimonian–Laird by default).
///   - level: the confidence level, in (0, 1).
/// - Returns: the pooled estimate, its SE and interval, τ², Q with its p-value, I² and the
///   fixed-effect estimate.
/// - Throws: `StatsError.insufficientData` for fewer than 2 studies; `StatsError.invalidArgument`
///   for mismatched lengths, a non-finite effect, a variance that is not finite and > 0, or a
///   level outside (0, 1); `StatsError.notConverged` if the Paule–Mandel equation cannot be solved.
/// - Complexity: O(k) for DL; O(k) per Brent step for PM.
public func randomEffects(effects: [Double], variances: [Double], method: RandomEffectsMethod = .dl,
                          level: Double = 0.95) throws(StatsError) -> RandomEffectsResult {
    let function = "randomEffects"
    try InputCheck.sample(effects, "effects", function, minCount: 2)
    guard variances.count == effects.count else {
        throw .invalidArgument("\(function): variances must have one value per effect (\(effects.count)), got \(variances.count)")
    }
    for (i, v) in variances.enumerated() where !(v > 0 && v.isFinite) {
        throw .invalidArgument("\(function): variances[\(i)] must be finite and > 0, got \(ParameterCheck.format(v))")
    }
    try InputCheck.level(level, function)
    let k = effects.count
    let df = Double(k - 1)
    let w = variances.map { 1 / $0 }
    let wSum = SampleSummary.sum(w)
    let fixed = weightedMean(effects, w)
    let q = SampleSummary.sum((0..<k).map { w[$0] * (effects[$0] - fixed) * (effects[$0] - fixed) })
    let tau2: Double
    switch method {
    case .dl:
        let c = wSum - SampleSummary.sum(w.map { $0 * $0 }) / wSum
        tau2 = max(0, (q - df) / c)
    case .pm:
        tau2 = try pauleMandel(effects, variances, function)
    }
    let wRandom = variances.map { 1 / ($0 + tau2) }
    let estimate = weightedMean(effects, wRandom)
    let se = (1 / SampleSummary.sum(wRandom)).squareRoot()
    let z = SpecialFunctions.normalUpperQuantile(0.5 * (1 - level))
    let ci = Interval(lower: estimate - z * se, upper: estimate + z * se, level: level)
    let qPvalue = try ChiSquared(df: df).sf(q)
    let i2 = q > df ? (q - df) / q : 0
    return RandomEffectsResult(estimate: estimate, se: se, ci: ci, tau2: tau2, q: q, df: k - 1, qPvalue: qPvalue,
                               i2: i2, fixedEstimate: fixed, fixedSE: (1 / wSum).squareRoot())
}

/// Σ wᵢyᵢ/Σ wᵢ.
private func weightedMean(_ y: [Double], _ w: [Double]) -> Double {
    SampleSummary.sum(zip(w, y).map { $0 * $1 }) / SampleSummary.sum(w)
}

/// The Paule–Mandel τ²: the root of Q(τ²) = Σ (yᵢ − μ̂(τ²))²/(vᵢ + τ²) = k − 1, or 0 when
/// Q(0) ≤ k − 1. Q decreases from Q(0) to 0, so the root is bracketed by doubling.
private func pauleMandel(_ y: [Double], _ v: [Double], _ function: String) throws(StatsError) -> Double {
    let df = Double(y.count - 1)
    func generalizedQ(_ tau2: Double) -> Double {
        let w = v.map { 1 / ($0 + tau2) }
        let m = weightedMean(y, w)
        return SampleSummary.sum((0..<y.count).map { w[$0] * (y[$0] - m) * (y[$0] - m) })
    }
    if generalizedQ(0) <= df { return 0 }
    // Q(τ²) ≤ Σ(yᵢ − ȳ)²/τ², so τ² = Σ(yᵢ − ȳ)²/df (+ max v) is an upper end.
    let mean = SampleSummary.mean(y)
    let spread = SampleSummary.sum(y.map { ($0 - mean) * ($0 - mean) })
    let upper = try RootFinding.expandUpward(from: max(spread / df, .leastNormalMagnitude), limit: .greatestFiniteMagnitude,
                                             function: function) { df - generalizedQ($0) }
    return try RootFinding.brent(lower: 0, upper: upper, function: function) { generalizedQ($0) - df }
}
