import Foundation

/// The gamma distribution with shape k and scale θ: density x^(k−1) e^(−x/θ) / (Γ(k) θ^k), x > 0.
///
/// The tails are the regularized incomplete gamma functions P(k, x/θ) and Q(k, x/θ), each
/// computed directly (series, continued fraction, or the small-shape complement).
public struct GammaDistribution: ContinuousDistribution, Equatable {
    /// The shape k.
    public let shape: Double
    /// The scale θ.
    public let scale: Double

    /// Creates Gamma(shape, scale).
    /// - Parameters:
    ///   - shape: the shape, finite and > 0.
    ///   - scale: the scale, finite and > 0.
    /// - Throws: `StatsError.invalidArgument` naming the bad parameter.
    public init(shape: Double, scale: Double = 1) throws(StatsError) {
        try ParameterCheck.positive(shape, "shape", "GammaDistribution")
        try ParameterCheck.positive(scale, "scale", "GammaDistribution")
        self.shape = shape
        self.scale = scale
    }

    /// The mean kθ.
    public var mean: Double { shape * scale }
    /// The variance kθ².
    public var variance: Double { shape * scale * scale }

    /// Returns the density at x.
    public func pdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x == 0 { return shape < 1 ? .infinity : (shape == 1 ? 1 / scale : 0) }
        return exp(logpdf(x))
    }

    /// Returns the log-density at x.
    public func logpdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x < 0 || x.isInfinite { return -.infinity }
        if x == 0 { return log(pdf(0)) }
        return GammaDistribution.standardLogDensity(shape, x / scale) - log(scale)
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
    public func ppf(_ p: Double) -> Double {
        scale * GammaDistribution.standardQuantile(shape, p, upper: false)
    }

    /// Returns the upper quantile: the x with P(X > x) = q.
    public func isf(_ q: Double) -> Double {
        scale * GammaDistribution.standardQuantile(shape, q, upper: true)
    }

    private func tails(_ x: Double) -> TailPair {
        if x.isNaN { return .nan }
        if x <= 0 { return .allUpper }
        return SpecialFunctions.incompleteGamma(shape, x / scale)
    }

    /// log of the standard gamma density z^(k−1) e^(−z)/Γ(k) = (k/z)·z^k e^(−z)/Γ(k+1).
    static func standardLogDensity(_ k: Double, _ z: Double) -> Double {
        SpecialFunctions.logGammaTerm(k, z) + log(k) - log(z)
    }

    /// The quantile of the standard gamma distribution (scale 1) for a lower (`upper` false) or
    /// upper tail probability, by Newton steps on the smaller tail from a Wilson–Hilferty or
    /// tail-asymptotic start.
    static func standardQuantile(_ k: Double, _ probability: Double, upper: Bool) -> Double {
        if probability.isNaN || probability < 0 || probability > 1 { return .nan }
        if probability == 0 { return upper ? .infinity : 0 }
        if probability == 1 { return upper ? 0 : .infinity }
        let useUpper = upper ? probability <= 0.5 : probability > 0.5
        let target = (upper == useUpper) ? probability : 1 - probability
        let guess = quantileGuess(k, target, upper: useUpper)
        return QuantileSearch.continuous(target: target, increasing: !useUpper, lower: 0, upper: .infinity,
                                         guess: guess) { z in
            let t = SpecialFunctions.incompleteGamma(k, z)
            return QuantileSearch.Evaluation(tail: useUpper ? t.upper : t.lower,
                                             logTail: useUpper ? t.logUpper : t.logLower,
                                             logDensity: standardLogDensity(k, z))
        }
    }

    /// A starting point for the quantile: Wilson–Hilferty, or the power law P ≈ z^k/Γ(k+1) of the
    /// lower tail, or the exponential law Q ≈ z^(k−1) e^(−z)/Γ(k) of the upper tail.
    static func quantileGuess(_ k: Double, _ target: Double, upper: Bool) -> Double {
        let z = upper ? SpecialFunctions.normalUpperQuantile(target) : SpecialFunctions.normalQuantile(target)
        let c = 1 / (9 * k)
        let w = 1 - c + z * c.squareRoot()
        let wilsonHilferty = k * w * w * w
        if upper {
            if wilsonHilferty > 0, k >= 1 { return wilsonHilferty }
            let l = -log(target) - SpecialFunctions.logGamma(k)
            var g = max(l, 1)
            for _ in 0..<3 { g = max(l + (k - 1) * log(g), 1e-300) }
            return g
        }
        let power = exp((log(target) + SpecialFunctions.logGamma1p(k)) / k)
        if !(wilsonHilferty > 0) || power < 0.3 * (k + 1) { return power }
        return wilsonHilferty
    }
}
