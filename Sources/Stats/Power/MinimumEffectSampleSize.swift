import Foundation

/// A sample size for a minimum-effect test (`minimumEffectSampleSize`).
public struct MinimumEffectSampleSize: Sendable, Equatable {
    /// The number of values per model (pairs when paired), rounded up, at least 2.
    public let n: Int
    /// The approximate power at that n.
    public let power: Double
}

/// Returns the number of samples per model that gives a one-sided minimum-effect test (as
/// `minimumEffectTest` with `.increase`) the requested power when the true effect is
/// `expectedEffect`.
///
/// Normal approximation: the estimate is N(effect, σ²(effect)/n), the test rejects above
/// margin + z₁₋α·σ(margin)/√n, so n = ((z₁₋α·σ₀ + z_power·σ₁)/(effect − margin))² with σ₀ at the
/// margin and σ₁ at the expected effect (Farrington & Manning 1990 for rates):
/// - rate, unpaired: σ² = p₁(1 − p₁) + p₀(1 − p₀) with p₀ = baseRate, p₁ = p₀ + effect; σ₀ at the
///   restricted MLE of the score test for the expected proportions.
/// - rate, paired: σ² = p₀→₁ + p₁→₀ − effect² from the cell probabilities implied by the marginal
///   rates and the correlation (phi coefficient) of the paired outcomes; σ₀² = 2q̃ + m(1 − m) at
///   Tango's restricted MLE q̃.
/// - mean, unpaired: σ² = 2 + d²/4, the large-sample variance of Cohen's d times n (Hedges & Olkin
///   1985); paired: σ² = 1 + d_z²/2 for d_z.
///
/// A decrease of e from rate r needs the same n as an increase of e from 1 − r (swap the outcome
/// labels). The approximation ignores the t distribution's extra spread at small n and the
/// discreteness of rates; the tests check it against simulated power.
/// - Parameters:
///   - kind: `.rate` or `.mean`.
///   - expectedEffect: the true effect (difference of rates, or d / d_z), > minEffect.
///   - minEffect: the margin, ≥ 0.
///   - power: the target power, in (alpha, 1).
///   - alpha: the one-sided significance level, in (0, 1).
///   - paired: whether the design is paired.
///   - baseRate: the base proportion (rates only), in (0, 1).
///   - correlation: the correlation of paired 0/1 outcomes (paired rates only; nil: 0).
/// - Returns: n, rounded up, and the approximate power at n.
/// - Throws: `StatsError.invalidArgument` naming the argument: expectedEffect ≤ minEffect, a rate
///   outside [0, 1], a correlation that gives negative cell probabilities or is given for another
///   design, power ≤ alpha.
public func minimumEffectSampleSize(kind: EffectKind, expectedEffect: Double, minEffect: Double,
                                    power: Double = 0.8, alpha: Double = 0.05, paired: Bool = false,
                                    baseRate: Double = 0.5, correlation: Double? = nil) throws(StatsError) -> MinimumEffectSampleSize {
    let function = "minimumEffectSampleSize"
    try InputCheck.finite(expectedEffect, "expectedEffect", function)
    guard minEffect >= 0, minEffect.isFinite else {
        throw .invalidArgument("\(function): minEffect must be finite and >= 0, got \(ParameterCheck.format(minEffect))")
    }
    guard expectedEffect > minEffect else {
        throw .invalidArgument("\(function): expectedEffect must be > minEffect (\(ParameterCheck.format(minEffect))), got \(ParameterCheck.format(expectedEffect)); no sample size gives the test power at or below the margin")
    }
    try InputCheck.level(alpha, function, name: "alpha")
    try InputCheck.level(power, function, name: "power")
    guard power > alpha else {
        throw .invalidArgument("\(function): power must be > alpha (\(ParameterCheck.format(alpha))), got \(ParameterCheck.format(power))")
    }
    if let correlation, !(kind == .rate && paired) {
        throw .invalidArgument("\(function): correlation applies only to paired rates, got \(ParameterCheck.format(correlation)) for \(paired ? "paired" : "unpaired") \(kind.rawValue)s")
    }
    let e = expectedEffect, m = minEffect
    let sigma0: Double, sigma1: Double
    switch (kind, paired) {
    case (.rate, _):
        guard baseRate > 0, baseRate < 1 else {
            throw .invalidArgument("\(function): baseRate must be in (0, 1), got \(ParameterCheck.format(baseRate))")
        }
        let p0 = baseRate, p1 = baseRate + e
        guard p1 <= 1 else {
            throw .invalidArgument("\(function): baseRate + expectedEffect must be <= 1, got \(ParameterCheck.format(p1))")
        }
        if !paired {
            sigma1 = (p1 * (1 - p1) + p0 * (1 - p0)).squareRoot()
            let r = MinimumEffect.restrictedProportions(x1: p1, n1: 1, x0: p0, n0: 1, delta: m)
            sigma0 = (r.p1 * (1 - r.p1) + r.p0 * (1 - r.p0)).squareRoot()
        } else {
            let rho = correlation ?? 0
            guard rho >= -1, rho <= 1 else {
                throw .invalidArgument("\(function): correlation must be in [-1, 1], got \(ParameterCheck.format(rho))")
            }
            let p11 = p0 * p1 + rho * (p0 * (1 - p0) * p1 * (1 - p1)).squareRoot()
            let up = p1 - p11, down = p0 - p11
            guard p11 >= -1e-12, up >= -1e-12, down >= -1e-12, 1 - p11 - up - down >= -1e-12 else {
                throw .invalidArgument("\(function): correlation \(ParameterCheck.format(rho)) is impossible for rates \(ParameterCheck.format(p0)) and \(ParameterCheck.format(p1)) (a cell probability would be negative)")
            }
            let b = max(up, 0), c = max(down, 0)
            sigma1 = max(b + c - e * e, 0).squareRoot()
            let q = MinimumEffect.tangoQ(b: b, c: c, n: 1, delta: m)
            sigma0 = max(2 * q + m * (1 - m), 0).squareRoot()
        }
    case (.mean, false):
        sigma0 = (2 + m * m / 4).squareRoot()
        sigma1 = (2 + e * e / 4).squareRoot()
    case (.mean, true):
        sigma0 = (1 + m * m / 2).squareRoot()
        sigma1 = (1 + e * e / 2).squareRoot()
    }
    let zAlpha = SpecialFunctions.normalUpperQuantile(alpha)
    let zPower = SpecialFunctions.normalQuantile(power)
    let root = (zAlpha * sigma0 + zPower * sigma1) / (e - m)
    let exact = root > 0 ? root * root : 0
    guard exact < 1e15 else {
        throw .invalidArgument("\(function): the required n (\(exact)) is beyond 1e15; expectedEffect is too close to minEffect")
    }
    let n = max(2, Int(exact.rounded(.up)))
    let shift = (e - m) * Double(n).squareRoot() - zAlpha * sigma0
    let achieved = sigma1 > 0 ? Normal.standard.cdf(shift / sigma1) : (shift >= 0 ? 1 : 0)
    return MinimumEffectSampleSize(n: n, power: achieved)
}
