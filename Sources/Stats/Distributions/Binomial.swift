import Foundation

/// The binomial distribution: the number of successes in n independent trials with success
/// probability p.
///
/// P(X ≤ k) = I_{1−p}(n − k, k + 1) and P(X > k) = I_p(k + 1, n − k), each computed directly;
/// the probability mass uses Loader's saddle-point form, accurate for n in the millions.
public struct Binomial: DiscreteDistribution, Equatable {
    /// The number of trials n.
    public let n: Int
    /// The success probability p.
    public let p: Double

    /// Creates Binomial(n, p).
    /// - Parameters:
    ///   - n: the number of trials, ≥ 0.
    ///   - p: the success probability, in [0, 1].
    /// - Throws: `StatsError.invalidArgument` naming the bad parameter.
    public init(n: Int, p: Double) throws(StatsError) {
        try ParameterCheck.nonNegative(n, "n", "Binomial")
        try ParameterCheck.probability(p, "p", "Binomial")
        self.n = n
        self.p = p
    }

    /// 0…n (0…0 when p = 0, n…n when p = 1).
    public var support: ClosedRange<Int> {
        if p == 0 { return 0...0 }
        if p == 1 { return n...n }
        return 0...n
    }

    /// The mean np.
    public var mean: Double { Double(n) * p }
    /// The variance np(1 − p).
    public var variance: Double { Double(n) * p * (1 - p) }

    /// Returns P(X = k).
    public func pmf(_ k: Double) -> Double {
        if k.isNaN { return .nan }
        return exp(logpmf(k))
    }

    /// Returns log P(X = k).
    public func logpmf(_ k: Double) -> Double {
        if k.isNaN { return .nan }
        if k != k.rounded(.down) { return -.infinity }
        return SpecialFunctions.logBinomialTerm(k, Double(n), p)
    }

    /// Returns P(X ≤ k).
    public func cdf(_ k: Double) -> Double { tails(k).lower }
    /// Returns P(X > k), computed directly.
    public func sf(_ k: Double) -> Double { tails(k).upper }
    /// Returns log P(X ≤ k).
    public func logcdf(_ k: Double) -> Double { tails(k).logLower }
    /// Returns log P(X > k).
    public func logsf(_ k: Double) -> Double { tails(k).logUpper }

    /// Returns the smallest integer k with P(X ≤ k) ≥ q (−1 for q = 0, as scipy).
    public func ppf(_ q: Double) -> Double { quantile(q, upper: false) }

    /// Returns the smallest integer k with P(X > k) ≤ q (−1 for q = 1, as scipy).
    public func isf(_ q: Double) -> Double { quantile(q, upper: true) }

    private func tails(_ x: Double) -> TailPair {
        if x.isNaN { return .nan }
        let k = x.rounded(.down)
        if k < 0 { return .allUpper }
        if k >= Double(n) { return .allLower }
        if p == 0 { return .allLower }
        if p == 1 { return .allUpper }
        let kk = k
        return SpecialFunctions.incompleteBeta(Double(n) - kk, kk + 1, BetaPoint(y: p))
    }

    private func quantile(_ q: Double, upper: Bool) -> Double {
        let mean = Double(n) * p
        let sd = (mean * (1 - p)).squareRoot()
        let z = upper ? SpecialFunctions.normalUpperQuantile(q) : SpecialFunctions.normalQuantile(q)
        let g = mean + (z.isFinite ? z : 0) * sd
        let guess = Int(min(max(g.rounded(), 0), Double(n)))
        return QuantileSearch.discreteQuantile(q, upper: upper, support: 0...n, guess: guess,
                                               cdf: { cdf(Double($0)) }, sf: { sf(Double($0)) })
    }
}
