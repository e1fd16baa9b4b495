import Foundation

/// Returns the power of the two-sided (or one-sided) z-test comparing two proportions with n and
/// ratio·n observations.
///
/// Matches `statsmodels.stats.power.NormalIndPower().power(effect_size=h, nobs1=n, alpha, ratio,
/// alternative)` with h = `cohensH(p1, p2)` (2·asin√p̂ has variance 1/n per group). With
/// m = 1/(1/n + 1/(ratio·n)) and c = h√m: two-sided P(Z > z_{1−α/2} − c) + P(Z < z_{α/2} − c)
/// (statsmodels keeps the small opposite-tail term), `.greater` P(Z > z_{1−α} − c), `.less`
/// P(Z < z_α − c).
/// - Parameters:
///   - p1: the first group's proportion under the alternative, in [0, 1].
///   - p2: the second group's proportion, in [0, 1].
///   - n: the number of observations in the first group, > 0 (not necessarily an integer).
///   - alpha: the significance level, in (0, 1).
///   - ratio: the second group's size over the first's, > 0.
///   - alternative: the alternative of the planned test (`.greater`: p1 > p2).
/// - Returns: the power, in [0, 1].
/// - Throws: `StatsError.invalidArgument` for a proportion outside [0, 1], a non-positive or
///   non-finite n or ratio, or alpha outside (0, 1).
public func powerTwoProportions(p1: Double, p2: Double, n: Double, alpha: Double = 0.05, ratio: Double = 1,
                                alternative: Alternative = .twoSided) throws(StatsError) -> Double {
    let function = "powerTwoProportions"
    let h = try proportionEffect(p1, p2, function)
    try PowerCheck.design(n: n, alpha: alpha, ratio: ratio, function)
    return PowerCurve.normal(effect: h, n: n, alpha: alpha, ratio: ratio, alternative: alternative)
}

/// Returns the number of observations in the first group that gives the z-test comparing two
/// proportions the requested power (the inverse of `powerTwoProportions` in n).
///
/// Solves `powerTwoProportions(p1, p2, n, alpha, ratio, alternative) = power` for real n with
/// Brent's method to full double precision (statsmodels' `NormalIndPower().solve_power` solves
/// the same equation with xtol = 1e-5). Round up for a design: h = 0.2 at α = 0.05, power 0.8
/// needs 392.44, i.e. 393 per group.
/// - Parameters:
///   - p1: the first group's proportion under the alternative, in [0, 1].
///   - p2: the second group's proportion, in [0, 1], different from p1.
///   - power: the required power, in (α, 1).
///   - alpha: the significance level, in (0, 1).
///   - ratio: the second group's size over the first's, > 0.
///   - alternative: the alternative of the planned test.
/// - Returns: n for the first group (the second has ratio·n), not rounded.
/// - Throws: `StatsError.invalidArgument` for bad arguments, p1 = p2, power ≤ α, or a one-sided
///   alternative pointing away from the effect (no n reaches the power);
///   `StatsError.notConverged` if no solution is found below 10¹⁵.
public func sampleSizeTwoProportions(p1: Double, p2: Double, power: Double = 0.8, alpha: Double = 0.05,
                                     ratio: Double = 1, alternative: Alternative = .twoSided) throws(StatsError) -> Double {
    let function = "sampleSizeTwoProportions"
    let h = try proportionEffect(p1, p2, function)
    try PowerCheck.target(effect: h, power: power, alpha: alpha, ratio: ratio, alternative: alternative, function)
    return try PowerCurve.solve(lowest: 0, function: function) { n in
        PowerCurve.normal(effect: h, n: n, alpha: alpha, ratio: ratio, alternative: alternative) - power
    }
}

/// Returns the power of the two-sample Student t-test for a standardized effect d with n and
/// ratio·n observations.
///
/// Matches `statsmodels.stats.power.TTestIndPower().power(effect_size=d, nobs1=n, alpha, ratio,
/// alternative)`: with df = n + ratio·n − 2 and δ = d√(1/(1/n + 1/(ratio·n))), two-sided
/// P(T > t_{1−α/2}) + P(T < t_{α/2}) for T noncentral t(df, δ) (both tails, as statsmodels),
/// `.greater` P(T > t_{1−α}), `.less` P(T < t_α).
/// - Parameters:
///   - effectSize: Cohen's d under the alternative (difference of means over the common SD), finite.
///   - n: the number of observations in the first group, with n(1 + ratio) > 2.
///   - alpha: the significance level, in (0, 1).
///   - ratio: the second group's size over the first's, > 0.
///   - alternative: the alternative of the planned test (`.greater`: d > 0).
/// - Returns: the power, in [0, 1].
/// - Throws: `StatsError.invalidArgument` for a non-finite d, n(1 + ratio) ≤ 2, a bad ratio, or
///   alpha outside (0, 1).
public func powerTTest(effectSize: Double, n: Double, alpha: Double = 0.05, ratio: Double = 1,
                       alternative: Alternative = .twoSided) throws(StatsError) -> Double {
    let function = "powerTTest"
    try InputCheck.finite(effectSize, "effectSize", function)
    try PowerCheck.design(n: n, alpha: alpha, ratio: ratio, function)
    guard n * (1 + ratio) > 2 else {
        throw .invalidArgument("\(function): n must give n + ratio*n > 2 (df > 0), got n = \(ParameterCheck.format(n))")
    }
    return PowerCurve.t(effect: effectSize, n: n, alpha: alpha, ratio: ratio, alternative: alternative)
}

/// Returns the number of observations in the first group that gives the two-sample t-test the
/// requested power (the inverse of `powerTTest` in n).
///
/// Solves `powerTTest(effectSize, n, alpha, ratio, alternative) = power` for real n with Brent's
/// method to full double precision (statsmodels' `TTestIndPower().solve_power` solves the same
/// equation with xtol = 1e-5). d = 0.5 at α = 0.05, power 0.8 needs 63.77 per group.
/// - Parameters:
///   - effectSize: Cohen's d under the alternative, finite and ≠ 0.
///   - power: the required power, in (α, 1).
///   - alpha: the significance level, in (0, 1).
///   - ratio: the second group's size over the first's, > 0.
///   - alternative: the alternative of the planned test.
/// - Returns: n for the first group (the second has ratio·n), not rounded; always > 2/(1 + ratio).
/// - Throws: `StatsError.invalidArgument` for bad arguments, d = 0, power ≤ α, or a one-sided
///   alternative pointing away from the effect; `StatsError.notConverged` if no solution is found.
public func sampleSizeTTest(effectSize: Double, power: Double = 0.8, alpha: Double = 0.05, ratio: Double = 1,
                            alternative: Alternative = .twoSided) throws(StatsError) -> Double {
    let function = "sampleSizeTTest"
    try InputCheck.finite(effectSize, "effectSize", function)
    try PowerCheck.target(effect: effectSize, power: power, alpha: alpha, ratio: ratio, alternative: alternative,
                          function)
    return try PowerCurve.solve(lowest: 2 / (1 + ratio), function: function) { n in
        PowerCurve.t(effect: effectSize, n: n, alpha: alpha, ratio: ratio, alternative: alternative) - power
    }
}

private func proportionEffect(_ p1: Double, _ p2: Double, _ function: String) throws(StatsError) -> Double {
    try InputCheck.probability(p1, "p1", function)
    try InputCheck.probability(p2, "p2", function)
    return 2 * asin(p1.squareRoot()) - 2 * asin(p2.squareRoot())
}

/// Validation shared by the power functions.
enum PowerCheck {
    static func design(n: Double, alpha: Double, ratio: Double, _ function: String) throws(StatsError) {
        try InputCheck.positive(n, "n", function)
        try InputCheck.level(alpha, function, name: "alpha")
        try InputCheck.positive(ratio, "ratio", function)
    }

    static func target(effect: Double, power: Double, alpha: Double, ratio: Double, alternative: Alternative,
                       _ function: String) throws(StatsError) {
        try InputCheck.level(alpha, function, name: "alpha")
        try InputCheck.level(power, function, name: "power")
        try InputCheck.positive(ratio, "ratio", function)
        guard effect != 0 else {
            throw .invalidArgument("\(function): the effect size is 0, so no sample size reaches the power")
        }
        guard power > alpha else {
            throw .invalidArgument("\(function): power must be > alpha (\(ParameterCheck.format(alpha))), got \(ParameterCheck.format(power))")
        }
        if (alternative == .greater && effect < 0) || (alternative == .less && effect > 0) {
            throw .invalidArgument("\(function): the effect size is \(effect < 0 ? "negative" : "positive") but the alternative is \(alternative.rawValue), so the power stays below alpha for every n")
        }
    }
}

/// The power curves of the normal and t tests and the solver for n.
enum PowerCurve {
    /// statsmodels' `normal_power` with the effective size of two groups.
    static func normal(effect: Double, n: Double, alpha: Double, ratio: Double, alternative: Alternative) -> Double {
        let nobs = 1 / (1 / n + 1 / (n * ratio))
        let shift = effect * nobs.squareRoot()
        let z = Normal.standard
        switch alternative {
        case .twoSided:
            let half = 0.5 * alpha
            return z.sf(SpecialFunctions.normalUpperQuantile(half) - shift)
                + z.cdf(SpecialFunctions.normalQuantile(half) - shift)
        case .greater:
            return z.sf(SpecialFunctions.normalUpperQuantile(alpha) - shift)
        case .less:
            return z.cdf(SpecialFunctions.normalQuantile(alpha) - shift)
        }
    }

    /// statsmodels' `ttest_power` with the effective size and df of two groups.
    static func t(effect: Double, n: Double, alpha: Double, ratio: Double, alternative: Alternative) -> Double {
        let n2 = n * ratio
        let df = n - 1 + n2 - 1
        let nobs = 1 / (1 / n + 1 / n2)
        guard let central = try? StudentT(df: df),
              let noncentral = try? NoncentralT(df: df, nc: effect * nobs.squareRoot()) else { return .nan }
        switch alternative {
        case .twoSided:
            let half = 0.5 * alpha
            return noncentral.sf(central.isf(half)) + noncentral.cdf(central.ppf(half))
        case .greater:
            return noncentral.sf(central.isf(alpha))
        case .less:
            return noncentral.cdf(central.ppf(alpha))
        }
    }

    /// The root in (lowest, ∞) of an increasing function of n that is negative near `lowest`.
    static func solve(lowest: Double, function: String, _ f: (Double) -> Double) throws(StatsError) -> Double {
        // A lower end with f < 0: approach `lowest` geometrically if needed.
        var gap = 1.0
        var low = lowest + gap
        while f(low) >= 0 {
            gap *= 0.5
            if gap < 1e-12 {
                throw .notConverged("\(function): the power is reached for every admissible n")
            }
            low = lowest + gap
        }
        let high = try RootFinding.expandUpward(from: max(2 * low, 8), limit: 1e15, function: function, f)
        return try RootFinding.brent(lower: low, upper: high, function: function, f)
    }
}
