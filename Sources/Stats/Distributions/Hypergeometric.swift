import Foundation

/// The hypergeometric distribution: the number of successes in `draws` draws without replacement
/// from a population of `population` items of which `successes` are successes.
///
/// scipy's `hypergeom(M, n, N)` names the same parameters differently:
/// `Hypergeometric(population: M, successes: n, draws: N)` equals `scipy.stats.hypergeom(M, n, N)`.
/// The probability mass is R's `dhyper` form (three Loader binomial terms); the tails sum the
/// smaller side with exact term ratios.
public struct Hypergeometric: DiscreteDistribution, Equatable {
    /// The population size N.
    public let population: Int
    /// The number of successes K in the population.
    public let successes: Int
    /// The number of draws n.
    public let draws: Int

    /// Creates Hypergeometric(N, K, n).
    /// - Parameters:
    ///   - population: N ≥ 0.
    ///   - successes: K with 0 ≤ K ≤ N.
    ///   - draws: n with 0 ≤ n ≤ N.
    /// - Throws: `StatsError.invalidArgument` naming the bad parameter.
    public init(population: Int, successes: Int, draws: Int) throws(StatsError) {
        try ParameterCheck.nonNegative(population, "population", "Hypergeometric")
        try ParameterCheck.nonNegative(successes, "successes", "Hypergeometric")
        try ParameterCheck.nonNegative(draws, "draws", "Hypergeometric")
        guard successes <= population else {
            throw .invalidArgument("Hypergeometric: successes must be <= population (\(population)), got \(successes)")
        }
        guard draws <= population else {
            throw .invalidArgument("Hypergeometric: draws must be <= population (\(population)), got \(draws)")
        }
        self.population = population
        self.successes = successes
        self.draws = draws
    }

    /// max(0, n − (N − K)) … min(n, K).
    public var support: ClosedRange<Int> {
        max(0, draws - (population - successes))...min(draws, successes)
    }

    /// The mean nK/N.
    public var mean: Double {
        population == 0 ? 0 : Double(draws) * Double(successes) / Double(population)
    }

    /// The variance n (K/N)((N − K)/N)((N − n)/(N − 1)).
    public var variance: Double {
        if population <= 1 { return 0 }
        let nn = Double(population)
        return Double(draws) * (Double(successes) / nn) * (Double(population - successes) / nn)
            * (Double(population - draws) / (nn - 1))
    }

    /// Returns P(X = k).
    public func pmf(_ k: Double) -> Double {
        if k.isNaN { return .nan }
        return exp(logpmf(k))
    }

    /// Returns log P(X = k) = log[C(K, k) C(N−K, n−k)/C(N, n)].
    public func logpmf(_ k: Double) -> Double {
        if k.isNaN { return .nan }
        if k != k.rounded(.down) { return -.infinity }
        let s = support
        if k < Double(s.lowerBound) || k > Double(s.upperBound) { return -.infinity }
        return logTerm(Int(k))
    }

    /// Returns P(X ≤ k).
    public func cdf(_ k: Double) -> Double { tails(k).lower }
    /// Returns P(X > k), computed directly.
    public func sf(_ k: Double) -> Double { tails(k).upper }
    /// Returns log P(X ≤ k).
    public func logcdf(_ k: Double) -> Double { tails(k).logLower }
    /// Returns log P(X > k).
    public func logsf(_ k: Double) -> Double { tails(k).logUpper }

    /// Returns the smallest integer k with P(X ≤ k) ≥ q (one below the support for q = 0).
    public func ppf(_ q: Double) -> Double { quantile(q, upper: false) }

    /// Returns the smallest integer k with P(X > k) ≤ q (one below the support for q = 1).
    public func isf(_ q: Double) -> Double { quantile(q, upper: true) }

    /// log P(X = k) for k in the support: R's dhyper with p = n/N.
    private func logTerm(_ k: Int) -> Double {
        let nn = Double(population), kk = Double(successes), n = Double(draws), x = Double(k)
        if population == 0 { return 0 }
        let p = n / nn
        return SpecialFunctions.logBinomialTerm(x, kk, p)
            + SpecialFunctions.logBinomialTerm(n - x, nn - kk, p)
            - SpecialFunctions.logBinomialTerm(n, nn, p)
    }

    /// Both tails at x: the side away from the mean is summed term by term from its largest term
    /// (P(X = k−1)/P(X = k) = k(N−K−n+k)/((K−k+1)(n−k+1))), the other is its complement.
    private func tails(_ x: Double) -> TailPair {
        if x.isNaN { return .nan }
        let s = support
        let k = x.rounded(.down)
        if k < Double(s.lowerBound) { return .allUpper }
        if k >= Double(s.upperBound) { return .allLower }
        let ki = Int(k)
        let nn = Double(population), kk = Double(successes), n = Double(draws)
        if k * nn <= n * kk {
            // P(X ≤ k) = P(X = k)·(1 + Σ ratios down to the lower end)
            var term = 1.0, sum = 0.0
            var j = Double(ki)
            while j > Double(s.lowerBound) {
                term *= j * (nn - kk - n + j) / ((kk - j + 1) * (n - j + 1))
                sum += term
                if term <= sum * 0x1p-54 { break }
                j -= 1
            }
            return .fromLower(log: logTerm(ki) + log1p(sum))
        }
        // P(X > k) = P(X = k+1)·(1 + Σ ratios up to the upper end)
        var term = 1.0, sum = 0.0
        var j = Double(ki + 1)
        while j < Double(s.upperBound) {
            term *= (kk - j) * (n - j) / ((j + 1) * (nn - kk - n + j + 1))
            sum += term
            if term <= sum * 0x1p-54 { break }
            j += 1
        }
        return .fromUpper(log: logTerm(ki + 1) + log1p(sum))
    }

    private func quantile(_ q: Double, upper: Bool) -> Double {
        let sd = variance.squareRoot()
        let z = upper ? SpecialFunctions.normalUpperQuantile(q) : SpecialFunctions.normalQuantile(q)
        let g = mean + (z.isFinite ? z : 0) * sd
        let s = support
        let guess = Int(min(max(g.rounded(), Double(s.lowerBound)), Double(s.upperBound)))
        return QuantileSearch.discreteQuantile(q, upper: upper, support: s, guess: guess,
                                               cdf: { cdf(Double($0)) }, sf: { sf(Double($0)) })
    }
}
