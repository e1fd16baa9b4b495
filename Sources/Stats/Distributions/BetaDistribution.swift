import Foundation

/// The beta distribution on [0, 1] with shapes a and b: density x^(a−1)(1−x)^(b−1)/B(a, b).
///
/// The tails are I_x(a, b) and I_{1−x}(b, a), each computed directly; the density uses the same
/// saddle-point prefactor, so it stays accurate for shapes in the millions.
public struct BetaDistribution: ContinuousDistribution, Equatable {
    /// The first shape a.
    public let a: Double
    /// The second shape b.
    public let b: Double

    /// Creates Beta(a, b).
    /// - Parameters:
    ///   - a: the first shape, finite and > 0.
    ///   - b: the second shape, finite and > 0.
    /// - Throws: `StatsError.invalidArgument` naming the bad parameter.
    public init(a: Double, b: Double) throws(StatsError) {
        try ParameterCheck.positive(a, "a", "BetaDistribution")
        try ParameterCheck.positive(b, "b", "BetaDistribution")
        self.a = a
        self.b = b
    }

    /// The mean a/(a + b).
    public var mean: Double { a / (a + b) }
    /// The variance ab/((a + b)²(a + b + 1)).
    public var variance: Double {
        let n = a + b
        return (a / n) * (b / n) / (n + 1)
    }

    /// Returns the density at x.
    public func pdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x == 0 { return a < 1 ? .infinity : (a == 1 ? b : 0) }
        if x == 1 { return b < 1 ? .infinity : (b == 1 ? a : 0) }
        return exp(logpdf(x))
    }

    /// Returns the log-density at x.
    public func logpdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x < 0 || x > 1 { return -.infinity }
        if x == 0 || x == 1 { return log(pdf(x)) }
        let point = BetaPoint(x: x)
        let lambda = SpecialFunctions.betaDeviation(a, b, point)
        return SpecialFunctions.logBetaPrefactor(a, b, point, lambda) - point.logX - point.logY
    }

    /// Returns P(X ≤ x) = I_x(a, b).
    public func cdf(_ x: Double) -> Double { tails(x).lower }
    /// Returns P(X > x) = I_{1−x}(b, a), computed directly.
    public func sf(_ x: Double) -> Double { tails(x).upper }
    /// Returns log P(X ≤ x).
    public func logcdf(_ x: Double) -> Double { tails(x).logLower }
    /// Returns log P(X > x).
    public func logsf(_ x: Double) -> Double { tails(x).logUpper }

    /// Returns the quantile: the x with P(X ≤ x) = p.
    public func ppf(_ p: Double) -> Double { quantile(p, upper: false) }

    /// Returns the upper quantile: the x with P(X > x) = q.
    public func isf(_ q: Double) -> Double { quantile(q, upper: true) }

    private func tails(_ x: Double) -> TailPair {
        if x.isNaN { return .nan }
        if x <= 0 { return .allUpper }
        if x >= 1 { return .allLower }
        return SpecialFunctions.incompleteBeta(a, b, BetaPoint(x: x))
    }

    private func quantile(_ probability: Double, upper: Bool) -> Double {
        if probability.isNaN || probability < 0 || probability > 1 { return .nan }
        if probability == 0 { return upper ? 1 : 0 }
        if probability == 1 { return upper ? 0 : 1 }
        let useUpper = upper ? probability <= 0.5 : probability > 0.5
        let target = (upper == useUpper) ? probability : 1 - probability
        let guess = BetaDistribution.quantileGuess(a, b, target, upper: useUpper)
        return QuantileSearch.continuous(target: target, increasing: !useUpper, lower: 0, upper: 1,
                                         guess: guess) { x in
            let t = tails(x)
            return QuantileSearch.Evaluation(tail: useUpper ? t.upper : t.lower,
                                             logTail: useUpper ? t.logUpper : t.logLower,
                                             logDensity: logpdf(x))
        }
    }

    /// A starting point: the power laws I_x ≈ x^a/(a B) and 1 − I_x ≈ (1−x)^b/(b B) near the ends,
    /// a normal approximation in the middle.
    static func quantileGuess(_ a: Double, _ b: Double, _ target: Double, upper: Bool) -> Double {
        let logB = SpecialFunctions.logBeta(a, b)
        let mean = a / (a + b)
        if upper {
            let y = exp((log(target) + log(b) + logB) / b)
            if y < 0.5 * (1 - mean) { return 1 - y }
        } else {
            let x = exp((log(target) + log(a) + logB) / a)
            if x < 0.5 * mean { return x }
        }
        let n = a + b
        let sd = ((a / n) * (b / n) / (n + 1)).squareRoot()
        let z = upper ? SpecialFunctions.normalUpperQuantile(target) : SpecialFunctions.normalQuantile(target)
        let g = mean + z * sd
        return min(max(g, 0.01 * mean), 1 - 0.01 * (1 - mean))
    }
}
