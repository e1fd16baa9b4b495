import Foundation

/// The normal (Gaussian) distribution N(mean, sd²).
///
/// The argument is standardized in double-double arithmetic and e^(−z²/2) is formed without the
/// rounding of z², so the tails keep full relative accuracy: `Normal.standard.sf(9)` is
/// 1.1285884059538e-19 and `sf(37)` 5.7255712225245768e-300 (not 0).
public struct Normal: ContinuousDistribution, Equatable {
    /// The mean μ.
    public let mean: Double
    /// The standard deviation σ.
    public let sd: Double

    /// Creates N(mean, sd²).
    /// - Parameters:
    ///   - mean: the mean, finite.
    ///   - sd: the standard deviation, finite and > 0.
    /// - Throws: `StatsError.invalidArgument` naming the bad parameter.
    public init(mean: Double = 0, sd: Double = 1) throws(StatsError) {
        try ParameterCheck.finite(mean, "mean", "Normal")
        try ParameterCheck.positive(sd, "sd", "Normal")
        self.mean = mean
        self.sd = sd
    }

    private init(uncheckedMean mean: Double, sd: Double) {
        self.mean = mean
        self.sd = sd
    }

    /// The standard normal distribution N(0, 1).
    public static let standard = Normal(uncheckedMean: 0, sd: 1)

    /// The variance σ².
    public var variance: Double { sd * sd }

    /// Returns the density at x.
    public func pdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let (h, l) = standardize(x)
        if h.isInfinite { return 0 }
        return MathConstants.invSqrt2Pi * ExactArithmetic.expMinusHalfSquare(h, l) / sd
    }

    /// Returns the log-density at x.
    public func logpdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let (h, l) = standardize(x)
        if h.isInfinite { return -.infinity }
        return ExactArithmetic.minusHalfSquare(h, l) - MathConstants.logSqrt2Pi - log(sd)
    }

    /// Returns P(X ≤ x).
    public func cdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let (h, l) = standardize(x)
        return Normal.upperTail(-h, -l)
    }

    /// Returns P(X > x), computed directly.
    public func sf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let (h, l) = standardize(x)
        return Normal.upperTail(h, l)
    }

    /// Returns log P(X ≤ x).
    public func logcdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let (h, l) = standardize(x)
        return Normal.logUpperTail(-h, -l)
    }

    /// Returns log P(X > x).
    public func logsf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let (h, l) = standardize(x)
        return Normal.logUpperTail(h, l)
    }

    /// Returns the quantile μ + σ·Φ⁻¹(p) (Wichura's AS 241).
    public func ppf(_ p: Double) -> Double {
        mean + sd * SpecialFunctions.normalQuantile(p)
    }

    /// Returns the upper quantile μ − σ·Φ⁻¹(q), from q itself.
    public func isf(_ q: Double) -> Double {
        mean + sd * SpecialFunctions.normalUpperQuantile(q)
    }

    /// (x − μ)/σ as a double-double h + l.
    private func standardize(_ x: Double) -> (Double, Double) {
        let (d, e) = ExactArithmetic.twoSum(x, -mean)
        let h = d / sd
        if !h.isFinite { return (h, 0) }
        let r = d.addingProduct(-h, sd)  // d − h·σ, exact
        return (h, (r + e) / sd)
    }

    /// P(Z > h + l) for standard normal Z: ½ e^(−z²/2) erfcx(z/√2) in the tails, ½ − ½ erf(z/√2)
    /// in the middle.
    static func upperTail(_ h: Double, _ l: Double) -> Double {
        if h.isInfinite { return h > 0 ? 0 : 1 }
        let t = h * MathConstants.invSqrt2
        if t >= 0.46875 {
            return 0.5 * ExactArithmetic.expMinusHalfSquare(h, l) * SpecialFunctions.erfcxLarge(t)
        }
        if t > -0.46875 {
            return 0.5 - 0.5 * SpecialFunctions.erfSmall((h + l) * MathConstants.invSqrt2)
        }
        return 1 - 0.5 * ExactArithmetic.expMinusHalfSquare(h, l) * SpecialFunctions.erfcxLarge(-t)
    }

    /// log P(Z > h + l), finite far beyond the underflow of P.
    static func logUpperTail(_ h: Double, _ l: Double) -> Double {
        if h.isInfinite { return h > 0 ? -.infinity : 0 }
        let t = h * MathConstants.invSqrt2
        if t >= 0.46875 {
            return log(0.5 * SpecialFunctions.erfcxLarge(t)) + ExactArithmetic.minusHalfSquare(h, l)
        }
        if t > -0.46875 { return log(upperTail(h, l)) }
        return log1p(-0.5 * ExactArithmetic.expMinusHalfSquare(h, l) * SpecialFunctions.erfcxLarge(-t))
    }
}
