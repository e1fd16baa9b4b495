import Foundation

/// Returns the Wilson score interval for a proportion from k successes in n trials.
///
/// Matches `statsmodels.stats.proportion.proportion_confint(k, n, alpha=1−level, method='wilson')`:
/// with z = z_{(1+level)/2} and p̂ = k/n, (p̂ + z²/2n ± z√(p̂(1 − p̂)/n + z²/4n²))/(1 + z²/n),
/// clipped to [0, 1]; the lower end is exactly 0 for k = 0 and the upper exactly 1 for k = n.
/// - Parameters:
///   - k: the number of successes, 0 ≤ k ≤ n.
///   - n: the number of trials, ≥ 1.
///   - level: the confidence level, in (0, 1).
/// - Returns: the interval.
/// - Throws: `StatsError.invalidArgument` for n outside 1…2⁵⁰, k outside 0…n or a level outside (0, 1).
public func wilsonCI(k: Int, n: Int, level: Double = 0.95) throws(StatsError) -> Interval {
    let function = "wilsonCI"
    try InputCheck.trials(k: k, n: n, function)
    try InputCheck.level(level, function)
    let (lower, upper) = wilsonLimits(k: k, n: n, level: level)
    return Interval(lower: lower, upper: upper, level: level)
}

/// The Wilson limits for validated arguments (statsmodels' formula and operation order).
func wilsonLimits(k: Int, n: Int, level: Double) -> (Double, Double) {
    let nn = Double(n)
    let q = Double(k) / nn
    let crit = SpecialFunctions.normalUpperQuantile(0.5 * (1 - level))
    let crit2 = crit * crit
    let denominator = 1 + crit2 / nn
    let center = (q + crit2 / (2 * nn)) / denominator
    let dist = crit * (q * (1 - q) / nn + crit2 / (4 * nn * nn)).squareRoot() / denominator
    let lower = k == 0 ? 0 : min(max(center - dist, 0), 1)
    let upper = k == n ? 1 : min(max(center + dist, 0), 1)
    return (lower, upper)
}

/// Returns the Clopper–Pearson ("exact") interval for a proportion from k successes in n trials.
///
/// Matches `proportion_confint(k, n, alpha=1−level, method='beta')`: lower = B⁻¹(α/2; k, n − k + 1)
/// (0 for k = 0), upper = B⁻¹(1 − α/2; k + 1, n − k) (1 for k = n), α = 1 − level. The same
/// limits as `binomTest(...).ci` for the two-sided alternative.
/// - Parameters:
///   - k: the number of successes, 0 ≤ k ≤ n.
///   - n: the number of trials, ≥ 1.
///   - level: the confidence level, in (0, 1).
/// - Returns: the interval.
/// - Throws: `StatsError.invalidArgument` for n outside 1…2⁵⁰, k outside 0…n or a level outside (0, 1).
public func clopperPearsonCI(k: Int, n: Int, level: Double = 0.95) throws(StatsError) -> Interval {
    let function = "clopperPearsonCI"
    try InputCheck.trials(k: k, n: n, function)
    try InputCheck.level(level, function)
    return try exactProportionInterval(k: k, n: n, level: level, alternative: .twoSided)
}

/// A method for the confidence interval of a difference of two proportions.
public enum DiffProportionsMethod: String, Sendable, CaseIterable {
    /// Newcombe's hybrid score interval (method 10 of Newcombe 1998), from the two Wilson intervals.
    case newcombe
    /// The Wald interval p̂₁ − p̂₂ ± z√(p̂₁(1 − p̂₁)/n₁ + p̂₂(1 − p̂₂)/n₂).
    case wald
    /// Agresti–Caffo: the Wald interval after adding one success and one failure to each group.
    case agrestiCaffo = "agresti-caffo"
}

/// Returns a confidence interval for the difference p₁ − p₂ of two independent proportions.
///
/// Matches `statsmodels.stats.proportion.confint_proportions_2indep(k1, n1, k2, n2,
/// method=…, compare='diff', alpha=1−level)` with method 'newcomb', 'wald' or 'agresti-caffo'.
/// Newcombe: with Wilson limits (l₁, u₁), (l₂, u₂), [d − √((p̂₁ − l₁)² + (u₂ − p̂₂)²),
/// d + √((p̂₂ − l₂)² + (u₁ − p̂₁)²)], d = p̂₁ − p̂₂. As in statsmodels, the Wald and Agresti–Caffo
/// ends are not clipped to [−1, 1].
/// - Parameters:
///   - k1: successes in the first group, 0 ≤ k1 ≤ n1.
///   - n1: trials in the first group, ≥ 1.
///   - k2: successes in the second group, 0 ≤ k2 ≤ n2.
///   - n2: trials in the second group, ≥ 1.
///   - level: the confidence level, in (0, 1).
///   - method: the interval method (Newcombe by default, as statsmodels).
/// - Returns: the interval for p₁ − p₂.
/// - Throws: `StatsError.invalidArgument` for a count outside 0…n, n outside 1…2⁵⁰ or a level outside (0, 1).
public func diffProportionsCI(k1: Int, n1: Int, k2: Int, n2: Int, level: Double = 0.95,
                              method: DiffProportionsMethod = .newcombe) throws(StatsError) -> Interval {
    let function = "diffProportionsCI"
    try InputCheck.trials(k: k1, n: n1, function, kName: "k1", nName: "n1")
    try InputCheck.trials(k: k2, n: n2, function, kName: "k2", nName: "n2")
    try InputCheck.level(level, function)
    let p1 = Double(k1) / Double(n1), p2 = Double(k2) / Double(n2)
    let diff = p1 - p2
    switch method {
    case .newcombe:
        let (low1, upp1) = wilsonLimits(k: k1, n: n1, level: level)
        let (low2, upp2) = wilsonLimits(k: k2, n: n2, level: level)
        let dLow = ((p1 - low1) * (p1 - low1) + (upp2 - p2) * (upp2 - p2)).squareRoot()
        let dUpp = ((p2 - low2) * (p2 - low2) + (upp1 - p1) * (upp1 - p1)).squareRoot()
        return Interval(lower: diff - dLow, upper: diff + dUpp, level: level)
    case .wald, .agrestiCaffo:
        let add = method == .agrestiCaffo ? 1.0 : 0.0
        let c1 = Double(k1) + add, m1 = Double(n1) + 2 * add
        let c2 = Double(k2) + add, m2 = Double(n2) + 2 * add
        let q1 = c1 / m1, q2 = c2 / m2
        let d = q1 - q2
        let variance = q1 * (1 - q1) / m1 + q2 * (1 - q2) / m2
        let z = SpecialFunctions.normalUpperQuantile(0.5 * (1 - level))
        let half = z * variance.squareRoot()
        return Interval(lower: d - half, upper: d + half, level: level)
    }
}
