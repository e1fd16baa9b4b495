import Foundation

/// The chi-squared distribution with ν degrees of freedom (real ν > 0): Gamma(ν/2, scale 2).
public struct ChiSquared: ContinuousDistribution, Equatable {
    /// The degrees of freedom ν.
    public let df: Double

    /// Creates χ²(df).
    /// - Parameter df: the degrees of freedom, finite and > 0 (need not be an integer).
    /// - Throws: `StatsError.invalidArgument` when df is not finite and > 0.
    public init(df: Double) throws(StatsError) {
        try ParameterCheck.positive(df, "df", "ChiSquared")
        self.df = df
    }

    /// The mean ν.
    public var mean: Double { df }
    /// The variance 2ν.
    public var variance: Double { 2 * df }

    private var k: Double { 0.5 * df }

    /// Returns the density at x.
    public func pdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x == 0 { return k < 1 ? .infinity : (k == 1 ? 0.5 : 0) }
        return exp(logpdf(x))
    }

    /// Returns the log-density at x.
    public func logpdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x < 0 || x.isInfinite { return -.infinity }
        if x == 0 { return log(pdf(0)) }
        return GammaDistribution.standardLogDensity(k, 0.5 * x) - MathConstants.log2
    }

    /// Returns P(X ≤ x).
    public func cdf(_ x: Double) -> Double { tails(x).lower }
    /// Returns P(X > x), computed directly.
    public func sf(_ x: Double) -> Double { tails(x).upper }
    /// Returns log P(X ≤ x).
    public func logcdf(_ x: Double) -> Double { tails(x).logLower }
    /// Returns log P(X > x).
    public func logsf(_ x: Double) -> Double { tails(x).logUpper }

    /// Returns the quantile: the x with P(X ≤ x) = p.
    public func ppf(_ p: Double) -> Double { 2 * GammaDistribution.standardQuantile(k, p, upper: false) }

    /// Returns the upper quantile: the x with P(X > x) = q.
    public func isf(_ q: Double) -> Double { 2 * GammaDistribution.standardQuantile(k, q, upper: true) }

    private func tails(_ x: Double) -> TailPair {
        if x.isNaN { return .nan }
        if x <= 0 { return .allUpper }
        return SpecialFunctions.incompleteGamma(k, 0.5 * x)
    }
}
