/// A probability distribution on (part of) the real line with a density.
///
/// Conventions (as scipy.stats): `cdf(x)` = P(X ≤ x), `sf(x)` = P(X > x), each computed directly
/// so that both keep their relative accuracy in their own tail; `ppf` and `isf` invert them. A NaN
/// argument gives NaN; a probability outside [0, 1] given to `ppf` or `isf` gives NaN.
public protocol ContinuousDistribution: Sendable {
    /// Returns the probability density at x (0 outside the support).
    func pdf(_ x: Double) -> Double
    /// Returns the logarithm of the density at x (−∞ outside the support).
    func logpdf(_ x: Double) -> Double
    /// Returns the distribution function P(X ≤ x).
    func cdf(_ x: Double) -> Double
    /// Returns the survival function P(X > x), computed directly rather than as 1 − cdf(x).
    func sf(_ x: Double) -> Double
    /// Returns log P(X ≤ x), finite even where P(X ≤ x) underflows.
    func logcdf(_ x: Double) -> Double
    /// Returns log P(X > x), finite even where P(X > x) underflows.
    func logsf(_ x: Double) -> Double
    /// Returns the quantile: the x with P(X ≤ x) = p.
    func ppf(_ p: Double) -> Double
    /// Returns the upper quantile: the x with P(X > x) = q, found from q itself (accurate for tiny q).
    func isf(_ q: Double) -> Double
    /// The mean (+∞ when it diverges, NaN when it is undefined).
    var mean: Double { get }
    /// The variance (+∞ when it diverges, NaN when it is undefined).
    var variance: Double { get }
}
