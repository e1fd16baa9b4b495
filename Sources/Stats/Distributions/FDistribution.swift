import Foundation

/// Fisher's F distribution with d₁ and d₂ degrees of freedom (real, > 0).
///
/// P(F ≤ f) = I_x(d₁/2, d₂/2) with x = d₁f/(d₁f + d₂); x, 1 − x, their logarithms and the
/// deviation λ = (d₂/2)(f − 1)/(f + d₂/d₁) are formed without cancellation.
public struct FDistribution: ContinuousDistribution, Equatable {
    /// The numerator degrees of freedom d₁.
    public let df1: Double
    /// The denominator degrees of freedom d₂.
    public let df2: Double

    /// Creates F(df1, df2).
    /// - Parameters:
    ///   - df1: the numerator degrees of freedom, finite and > 0.
    ///   - df2: the denominator degrees of freedom, finite and > 0.
    /// - Throws: `StatsError.invalidArgument` naming the bad parameter.
    public init(df1: Double, df2: Double) throws(StatsError) {
        try ParameterCheck.positive(df1, "df1", "FDistribution")
        try ParameterCheck.positive(df2, "df2", "FDistribution")
        self.df1 = df1
        self.df2 = df2
    }

    /// The mean d₂/(d₂ − 2) for d₂ > 2, +∞ otherwise.
    public var mean: Double { df2 > 2 ? df2 / (df2 - 2) : .infinity }

    /// The variance 2d₂²(d₁ + d₂ − 2)/(d₁(d₂ − 2)²(d₂ − 4)) for d₂ > 4, +∞ for 2 < d₂ ≤ 4,
    /// NaN (undefined, the mean diverges) for d₂ ≤ 2.
    public var variance: Double {
        if df2 > 4 {
            let m = df2 / (df2 - 2)
            return 2 * m * m * (df1 + df2 - 2) / (df1 * (df2 - 4))
        }
        return df2 > 2 ? .infinity : .nan
    }

    /// Returns the density at f.
    public func pdf(_ f: Double) -> Double {
        if f.isNaN { return .nan }
        if f == 0 { return df1 < 2 ? .infinity : (df1 == 2 ? 1 : 0) }
        return exp(logpdf(f))
    }

    /// Returns the log-density at f: log(x^a y^b/B(a, b)) − log f with a = d₁/2, b = d₂/2.
    public func logpdf(_ f: Double) -> Double {
        if f.isNaN { return .nan }
        if f < 0 || f.isInfinite { return -.infinity }
        if f == 0 { return log(pdf(0)) }
        let (point, lambda) = betaArgument(f)
        return SpecialFunctions.logBetaPrefactor(0.5 * df1, 0.5 * df2, point, lambda) - log(f)
    }

    /// Returns P(F ≤ f).
    public func cdf(_ f: Double) -> Double { tails(f).lower }
    /// Returns P(F > f), computed directly.
    public func sf(_ f: Double) -> Double { tails(f).upper }
    /// Returns log P(F ≤ f).
    public func logcdf(_ f: Double) -> Double { tails(f).logLower }
    /// Returns log P(F > f).
    public func logsf(_ f: Double) -> Double { tails(f).logUpper }

    /// Returns the quantile: the f with P(F ≤ f) = p.
    public func ppf(_ p: Double) -> Double { quantile(p, upper: false) }

    /// Returns the upper quantile: the f with P(F > f) = q.
    public func isf(_ q: Double) -> Double { quantile(q, upper: true) }

    private func tails(_ f: Double) -> TailPair {
        if f.isNaN { return .nan }
        if f <= 0 { return .allUpper }
        if f.isInfinite { return .allLower }
        let (point, lambda) = betaArgument(f)
        return SpecialFunctions.incompleteBeta(0.5 * df1, 0.5 * df2, point, lambda: lambda)
    }

    /// x = d₁f/(d₁f + d₂), y = 1 − x, their logarithms and λ = (a + b)x − a, for 0 < f < ∞.
    private func betaArgument(_ f: Double) -> (BetaPoint, Double) {
        let logR = log(df1) + log(f) - log(df2)  // log(d₁f/d₂)
        let point: BetaPoint
        if logR <= 0 {
            let r = df1 * f / df2
            let l = log1p(r)
            point = BetaPoint(x: r / (1 + r), y: 1 / (1 + r), logX: logR - l, logY: -l)
        } else {
            let r = df2 / df1 / f
            let l = log1p(r)
            point = BetaPoint(x: 1 / (1 + r), y: r / (1 + r), logX: -l, logY: -logR - l)
        }
        let lambda = 0.5 * df2 * (f - 1) / (f + df2 / df1)
        return (point, lambda)
    }

    private func quantile(_ probability: Double, upper: Bool) -> Double {
        if probability.isNaN || probability < 0 || probability > 1 { return .nan }
        if probability == 0 { return upper ? .infinity : 0 }
        if probability == 1 { return upper ? 0 : .infinity }
        let useUpper = upper ? probability <= 0.5 : probability > 0.5
        let target = (upper == useUpper) ? probability : 1 - probability
        let x = BetaDistribution.quantileGuess(0.5 * df1, 0.5 * df2, target, upper: useUpper)
        let guess = df2 / df1 * x / (1 - x)
        return QuantileSearch.continuous(target: target, increasing: !useUpper, lower: 0, upper: .infinity,
                                         guess: guess) { f in
            let t = tails(f)
            return QuantileSearch.Evaluation(tail: useUpper ? t.upper : t.lower,
                                             logTail: useUpper ? t.logUpper : t.logLower,
                                             logDensity: logpdf(f))
        }
    }
}
