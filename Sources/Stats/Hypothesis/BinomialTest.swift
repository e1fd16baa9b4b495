import Foundation

/// The result of an exact binomial test (`binomTest`).
public struct BinomialTestResult: HypothesisTestResult, Equatable {
    /// The number of successes k.
    public let k: Int
    /// The number of trials n.
    public let n: Int
    /// The success probability p under the null hypothesis.
    public let p: Double
    /// The alternative tested.
    public let alternative: Alternative
    /// The estimated proportion k/n (scipy's `statistic`).
    public let statistic: Double
    /// The exact p-value.
    public let pvalue: Double
    /// The Clopper–Pearson confidence interval for the proportion (one-sided for a one-sided
    /// alternative: [0, upper] for `.less`, [lower, 1] for `.greater`).
    public let ci: Interval
}

/// Tests whether a success probability equals p from k successes in n trials (exact binomial test).
///
/// Matches `scipy.stats.binomtest(k, n, p, alternative)`: `.less` is P(X ≤ k), `.greater` is
/// P(X ≥ k), and `.twoSided` is the minimum-likelihood p-value, the total probability of the
/// outcomes with P(X = x) ≤ P(X = k)·(1 + 10⁻⁷) (scipy's relative tolerance), capped at 1. The
/// interval is `proportion_ci(level, method='exact')`: Clopper–Pearson from beta quantiles
/// (scipy solves for the same limits numerically), with the two-sided level split between the ends.
/// - Parameters:
///   - k: the number of successes, 0 ≤ k ≤ n.
///   - n: the number of trials, ≥ 1.
///   - p: the success probability under the null hypothesis, in [0, 1].
///   - alternative: the alternative hypothesis.
///   - level: the confidence level of `ci`, in (0, 1).
/// - Returns: the proportion k/n, the p-value and the interval.
/// - Throws: `StatsError.invalidArgument` for n outside 1…2⁵⁰, k outside 0…n, p outside [0, 1] or a level
///   outside (0, 1).
/// - Complexity: O(log n) evaluations of the binomial distribution.
public func binomTest(k: Int, n: Int, p: Double = 0.5, alternative: Alternative = .twoSided,
                      level: Double = 0.95) throws(StatsError) -> BinomialTestResult {
    let function = "binomTest"
    try InputCheck.trials(k: k, n: n, function)
    try InputCheck.probability(p, "p", function)
    try InputCheck.level(level, function)
    let dist = try Binomial(n: n, p: p)
    let kk = Double(k), nn = Double(n)
    let pvalue: Double
    switch alternative {
    case .less:
        pvalue = dist.cdf(kk)
    case .greater:
        pvalue = dist.sf(kk - 1)
    case .twoSided:
        let d = dist.pmf(kk)
        let rerr = 1 + 1e-7
        let np = p * nn
        if kk == np {
            pvalue = 1
        } else if kk < np {
            let ix = minLikelihoodSearch({ -dist.pmf(Double($0)) }, -d * rerr,
                                         Int(np.rounded(.up)), n)
            let y = n - ix + (d * rerr == dist.pmf(Double(ix)) ? 1 : 0)
            pvalue = min(1, dist.cdf(kk) + dist.sf(Double(n - y)))
        } else {
            let ix = minLikelihoodSearch({ dist.pmf(Double($0)) }, d * rerr, 0, Int(np.rounded(.down)))
            let y = ix + 1
            pvalue = min(1, dist.cdf(Double(y - 1)) + dist.sf(kk - 1))
        }
    }
    let ci = try exactProportionInterval(k: k, n: n, level: level, alternative: alternative)
    return BinomialTestResult(k: k, n: n, p: p, alternative: alternative, statistic: kk / nn,
                              pvalue: pvalue, ci: ci)
}

/// scipy's `_binary_search_for_binom_tst`: for `a` increasing on lo…hi, the i with
/// a(i) ≤ d < a(i + 1) (lo − 1 when a(lo) > d). Used for both the binomial and Fisher tests.
func minLikelihoodSearch(_ a: (Int) -> Double, _ d: Double, _ lower: Int, _ upper: Int) -> Int {
    var lo = lower, hi = upper
    while lo < hi {
        let mid = lo + (hi - lo) / 2
        let value = a(mid)
        if value < d {
            lo = mid + 1
        } else if value > d {
            hi = mid - 1
        } else {
            return mid
        }
    }
    return a(lo) <= d ? lo : lo - 1
}

/// The Clopper–Pearson limits for k successes in n trials, two-sided or one-sided as scipy's
/// `_binom_exact_conf_int`: lower = B⁻¹(α; k, n − k + 1), upper = B⁻¹(1 − α; k + 1, n − k).
func exactProportionInterval(k: Int, n: Int, level: Double, alternative: Alternative) throws(StatsError) -> Interval {
    let alpha = alternative == .twoSided ? 0.5 * (1 - level) : 1 - level
    var lower = 0.0, upper = 1.0
    if alternative != .less, k > 0 {
        lower = try BetaDistribution(a: Double(k), b: Double(n - k + 1)).ppf(alpha)
    }
    if alternative != .greater, k < n {
        upper = try BetaDistribution(a: Double(k + 1), b: Double(n - k)).isf(alpha)
    }
    return Interval(lower: lower, upper: upper, level: level)
}
