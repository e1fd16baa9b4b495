import Foundation

/// What a minimum-effect test compares: proportions of 0/1 outcomes or means of measures.
public enum EffectKind: String, Sendable, CaseIterable {
    /// Binary outcomes (every value 0 or 1); the effect is the difference of proportions.
    case rate
    /// Continuous measures; the effect is standardised (Cohen's d or d_z).
    case mean
}

/// The direction a minimum-effect hypothesis claims, for the model relative to the base.
public enum EffectDirection: String, Sendable, CaseIterable {
    /// The model's effect exceeds +min_effect (model > base).
    case increase
    /// The model's effect is below −min_effect (model < base).
    case decrease
    /// Either of the two (Bonferroni: twice the smaller one-sided p-value).
    case either

    /// The alternative of the matching no-difference test.
    var alternative: Alternative {
        switch self {
        case .increase: return .greater
        case .decrease: return .less
        case .either: return .twoSided
        }
    }
}

/// The result of a minimum-effect test (`minimumEffectTest`).
public struct MinimumEffectResult: HypothesisTestResult, Equatable {
    /// The p-value of H0 "the effect is at most min_effect" in the direction tested.
    public let pvalue: Double
    /// The p-value of the classical no-difference test (Fisher exact, exact McNemar, Welch t or
    /// paired t) in the same direction; for reporting only.
    public let pZero: Double
    /// The observed effect: the difference of proportions (rate) or Cohen's d / d_z (mean), model
    /// minus base.
    public let effect: Double
    /// The confidence interval of the effect from the same test: one-sided ([lower, max] for
    /// `.increase`, [min, upper] for `.decrease`) or two-sided for `.either`, so that
    /// pvalue < 1 − level exactly when the interval lies beyond the margin.
    public let ci: Interval
    /// The kind compared.
    public let kind: EffectKind
    /// Whether the samples were paired by index.
    public let paired: Bool
    /// The test used ("Miettinen-Nurminen score", "Tango score", "exact McNemar",
    /// "noncentral t (pooled)", "noncentral t (paired)").
    public let test: String
    /// The test statistic of the reported one-sided test (for `.either`, the direction with the
    /// smaller p-value): z for the score tests, (b − c)/√(b + c) for exact McNemar, t for the t
    /// tests.
    public let statistic: Double
    /// The number of base values.
    public let nBase: Int
    /// The number of model values.
    public let nModel: Int
    /// The margin min_effect (≥ 0).
    public let minEffect: Double
    /// The direction tested.
    public let direction: EffectDirection
    /// The mean of the base values.
    public let baseMean: Double
    /// The mean of the model values.
    public let modelMean: Double
}

/// Tests whether the model's effect over the base exceeds a minimum effect (a one-sided test
/// against a margin, not against "no difference").
///
/// H0 for `.increase` is effect ≤ min_effect, for `.decrease` effect ≥ −min_effect; `.either`
/// reports min(1, 2·min(p_increase, p_decrease)). The effect is model minus base:
/// - rate, unpaired: Δ = p̂_model − p̂_base; the Miettinen–Nurminen score test (Farrington &
///   Manning 1990, Stat Med 9:1447; Miettinen & Nurminen 1985, Stat Med 4:213): z = (Δ̂ − δ)/σ̃ with
///   σ̃² = (p̃₁(1 − p̃₁)/n₁ + p̃₀(1 − p̃₀)/n₀)·N/(N − 1) at the maximum-likelihood proportions
///   restricted to p̃₁ − p̃₀ = δ: statsmodels `test_proportions_2indep(value=δ, method='score',
///   compare='diff')`, except that statsmodels' closed-form restricted MLE has a wrong coefficient
///   for δ ≠ 0 (statsmodels#10269), so the two agree only at δ = 0; the interval inverts the same
///   statistic (as `confint_proportions_2indep(method='score')`).
/// - rate, paired (by index): Δ = (b − c)/n from the discordant pairs (b: base 0, model 1;
///   c: base 1, model 0); Tango's score test (Tango 1998, Stat Med 17:891):
///   z = (b − c − nδ)/√(n(2q̃ + δ(1 − δ))) with q̃ the restricted MLE of P(base 1, model 0), and its
///   inverted interval (Tango 1999). With min_effect = 0 the p-value is the exact McNemar test.
/// - mean, unpaired: Cohen's d with the pooled SD; the pooled t statistic is noncentral t with
///   n₀ + n₁ − 2 df and noncentrality d·√(n₀n₁/(n₀ + n₁)), so at the margin the p-value is exact
///   under normality (a minimum-effect t-test); the interval inverts the noncentral t (Steiger &
///   Fouladi 1997).
/// - mean, paired: d_z = mean(d)/sd(d) with d = model − base; the one-sample t on d is noncentral
///   t with n − 1 df and noncentrality d_z·√n.
///
/// Degenerate data never give NaN. Rates of 0 or 1 and no discordant pairs are ordinary cases of
/// the score tests (the restricted MLE sits on the boundary); when every outcome is equal and the
/// margin is 0 the score variance is 0 and p = 1 (no evidence). For means with a zero SD the result
/// is the limit as the SD shrinks: different means give t = ±∞ (effect ±∞, p = 0 in the observed
/// direction and 1 in the other, an interval at ±∞); equal means (every value, or every paired
/// difference, the same) give effect 0, t = 0, p = 1 and p_zero = 1, with the interval of t = 0.
/// - Parameters:
///   - base: the base values (0/1 outcomes for `.rate`), at least 2, finite.
///   - model: the model values, at least 2, finite; as many as `base` when `paired`.
///   - paired: whether base[i] and model[i] are the same item.
///   - kind: `.rate` or `.mean`; nil: `.rate` when every value is 0 or 1, else `.mean`.
///   - minEffect: the margin, ≥ 0 (< 1 for rates); nil: 0.05 for rates, 0.2 for means.
///   - direction: the direction claimed.
///   - level: the confidence level of `ci`, in (0, 1).
/// - Returns: the margin p-value, the no-difference p-value, the effect and its interval.
/// - Throws: `StatsError.insufficientData` for fewer than 2 values; `StatsError.invalidArgument`
///   for a NaN or infinity, a value other than 0 or 1 with `.rate`, unequal lengths when paired, a
///   margin out of range or a level outside (0, 1).
/// - Complexity: O(n) plus a few hundred special-function evaluations for the interval.
public func minimumEffectTest(base: [Double], model: [Double], paired: Bool = false, kind: EffectKind? = nil,
                              minEffect: Double? = nil, direction: EffectDirection = .either,
                              level: Double = 0.95) throws(StatsError) -> MinimumEffectResult {
    let function = "minimumEffectTest"
    try InputCheck.sample(base, "base", function, minCount: 2)
    try InputCheck.sample(model, "model", function, minCount: 2)
    if paired, base.count != model.count {
        throw .invalidArgument("\(function): paired samples must have the same length, got base \(base.count) and model \(model.count)")
    }
    try InputCheck.level(level, function)
    let binary = { (v: Double) in v == 0 || v == 1 }
    let resolved = kind ?? (base.allSatisfy(binary) && model.allSatisfy(binary) ? .rate : .mean)
    if resolved == .rate {
        for (name, sample) in [("base", base), ("model", model)] {
            if let i = sample.firstIndex(where: { !binary($0) }) {
                throw .invalidArgument("\(function): \(name)[\(i)] must be 0 or 1 for kind rate, got \(ParameterCheck.format(sample[i]))")
            }
        }
    }
    let margin = minEffect ?? (resolved == .rate ? 0.05 : 0.2)
    guard margin >= 0, margin.isFinite, resolved == .mean || margin < 1 else {
        let range = resolved == .rate ? "in [0, 1) for kind rate" : "finite and >= 0"
        throw .invalidArgument("\(function): minEffect must be \(range), got \(ParameterCheck.format(margin))")
    }
    let core: MinimumEffect.Outcome
    switch (resolved, paired) {
    case (.rate, false): core = try MinimumEffect.rateUnpaired(base: base, model: model, margin: margin, direction: direction, level: level)
    case (.rate, true): core = try MinimumEffect.ratePaired(base: base, model: model, margin: margin, direction: direction, level: level)
    case (.mean, false): core = try MinimumEffect.meanUnpaired(base: base, model: model, margin: margin, direction: direction, level: level)
    case (.mean, true): core = try MinimumEffect.meanPaired(base: base, model: model, margin: margin, direction: direction, level: level)
    }
    return MinimumEffectResult(pvalue: core.pvalue, pZero: core.pZero, effect: core.effect, ci: core.ci ?? Interval(lower: .nan, upper: .nan, level: level),
                               kind: resolved, paired: paired, test: core.test, statistic: core.statistic,
                               nBase: base.count, nModel: model.count, minEffect: margin, direction: direction,
                               baseMean: SampleSummary.mean(base), modelMean: SampleSummary.mean(model))
}

/// The four minimum-effect tests and their intervals.
package enum MinimumEffect {
    /// What each test computes.
    package struct Outcome {
        package var pvalue: Double
        package var pZero: Double
        package var effect: Double
        package var statistic: Double
        package var test: String
        package var ci: Interval?
    }

    /// Combines the one-sided tests of the two directions: (p, statistic) for `.increase` and
    /// `.decrease`; `.either` takes twice the smaller p.
    static func combine(_ direction: EffectDirection, increase: () throws(StatsError) -> (Double, Double),
                        decrease: () throws(StatsError) -> (Double, Double)) throws(StatsError) -> (p: Double, statistic: Double) {
        switch direction {
        case .increase: return try increase()
        case .decrease: return try decrease()
        case .either:
            let i = try increase(), d = try decrease()
            return i.0 <= d.0 ? (min(1, 2 * i.0), i.1) : (min(1, 2 * d.0), d.1)
        }
    }

    /// The one-sided tail probability and critical values of an interval: (α per side, whether
    /// the lower and the upper ends are computed).
    static func sides(_ direction: EffectDirection, _ level: Double) -> (alpha: Double, lower: Bool, upper: Bool) {
        switch direction {
        case .increase: return (1 - level, true, false)
        case .decrease: return (1 - level, false, true)
        case .either: return (0.5 * (1 - level), true, true)
        }
    }
}
