/// A probability distribution on the integers.
///
/// Arguments are `Double` so that NaN propagates (NaN in, NaN out) and non-integers behave as in
/// scipy.stats: `pmf` is 0 at a non-integer, `cdf(x)` = P(X ≤ ⌊x⌋) and `sf(x)` = P(X > ⌊x⌋).
/// `ppf(q)` is the smallest integer k with P(X ≤ k) ≥ q and `isf(q)` the smallest k with
/// P(X > k) ≤ q; as in scipy, `ppf(0)` and `isf(1)` are one below the support.
public protocol DiscreteDistribution: Sendable {
    /// The values with positive probability (for the degenerate cases, the single value).
    var support: ClosedRange<Int> { get }
    /// Returns the probability P(X = k) (0 for a non-integer k or outside the support).
    func pmf(_ k: Double) -> Double
    /// Returns log P(X = k) (−∞ for a non-integer k or outside the support).
    func logpmf(_ k: Double) -> Double
    /// Returns the distribution function P(X ≤ k).
    func cdf(_ k: Double) -> Double
    /// Returns the survival function P(X > k), computed directly rather than as 1 − cdf(k).
    func sf(_ k: Double) -> Double
    /// Returns log P(X ≤ k), finite even where P(X ≤ k) underflows.
    func logcdf(_ k: Double) -> Double
    /// Returns log P(X > k), finite even where P(X > k) underflows.
    func logsf(_ k: Double) -> Double
    /// Returns the smallest integer k with P(X ≤ k) ≥ q.
    func ppf(_ q: Double) -> Double
    /// Returns the smallest integer k with P(X > k) ≤ q.
    func isf(_ q: Double) -> Double
    /// The mean.
    var mean: Double { get }
    /// The variance.
    var variance: Double { get }
}
