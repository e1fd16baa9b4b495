import Foundation

extension SpecialFunctions {
    /// Returns the regularized lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a).
    /// - Parameters:
    ///   - a: the shape, > 0.
    ///   - x: the argument, ≥ 0.
    /// - Returns: P(a, x) in [0, 1]; NaN for NaN or out-of-domain arguments.
    /// - Complexity: O(1 + √a) series or continued-fraction terms near x ≈ a, fewer elsewhere.
    public static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        incompleteGamma(a, x).lower
    }

    /// Returns the regularized upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x),
    /// computed directly so that it keeps its relative accuracy in the upper tail.
    /// - Parameters:
    ///   - a: the shape, > 0.
    ///   - x: the argument, ≥ 0.
    /// - Returns: Q(a, x) in [0, 1]; NaN for NaN or out-of-domain arguments.
    /// - Complexity: as `regularizedGammaP`.
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        incompleteGamma(a, x).upper
    }

    /// Both tails P(a, x) and Q(a, x), the smaller one computed directly:
    /// * a < 1, x < 1.5: the series of x^a/Γ(a+1)·Σ(−x)ⁿ/(n!(a+n)), giving Q as
    ///   −expm1(a log x − log Γ(1+a)) minus a small term when P is near 1;
    /// * x < a: P by the series e^(−x) x^a/Γ(a+1) · Σ xⁿ/((a+1)…(a+n));
    /// * otherwise: Q by Legendre's continued fraction (modified Lentz).
    /// The prefactor x^a e^(−x)/Γ(a+1) uses Loader's saddle-point form for a ≥ 10.
    static func incompleteGamma(_ a: Double, _ x: Double) -> TailPair {
        if a.isNaN || x.isNaN || !(a > 0) || x < 0 { return .nan }
        if x == 0 { return .allUpper }
        if x.isInfinite { return .allLower }
        if a.isInfinite { return .allUpper }
        if a < 1, x < 1.5 {
            let t = a * log(x) - logGamma1p(a)
            if t < log(0.5) {
                return .fromLower(log: logGammaTerm(a, x) + log(gammaSeries(a, x)))
            }
            let q = gammaUpperSmall(a, x, t)
            return .both(lower: 1 - q, upper: q)
        }
        if x < a {
            return .fromLower(log: logGammaTerm(a, x) + log(gammaSeries(a, x)))
        }
        return .fromUpper(log: logGammaTerm(a, x) + log(a) + log(gammaContinuedFraction(a, x)))
    }

    /// log(x^a e^(−x) / Γ(a + 1)): direct for a < 10, Loader's −δ(a) − bd0(a, x) − ½ log(2πa) above.
    static func logGammaTerm(_ a: Double, _ x: Double) -> Double {
        if x == 0 { return -.infinity }
        if x.isInfinite { return -.infinity }
        if a < 10 { return a * log(x) - x - logGamma1p(a) }
        return -stirlingError(a) - deviance(a, x, x - a) - 0.5 * (MathConstants.log2Pi + log(a))
    }

    /// Σₙ xⁿ / ((a+1)…(a+n)), n ≥ 0.
    static func gammaSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1.0
        var sum = 1.0
        var n = 1.0
        while n < 1e7 {
            term *= x / (a + n)
            sum += term
            if term <= sum * 0x1p-54 { break }
            n += 1
        }
        return sum
    }

    /// The continued fraction h with Q(a, x) = x^a e^(−x)/Γ(a) · h (modified Lentz), for x ≥ a or
    /// x ≥ 1.5.
    static func gammaContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        let xma = x - a  // exact when x and a are close
        var b = xma + 1
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        var i = 1.0
        while i < 1e7 {
            let an = -i * (i - a)
            b = xma + (2 * i + 1)
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) <= 0x1p-53 { break }
            i += 1
        }
        return h
    }

    /// Q(a, x) for a < 1, x < 1.5 from t = a log x − log Γ(1 + a):
    /// Q = −expm1(t) − e^t · a · Σₙ₌₁ (−x)ⁿ/(n!(a+n)).
    static func gammaUpperSmall(_ a: Double, _ x: Double, _ t: Double) -> Double {
        var term = 1.0
        var sum = 0.0
        var n = 1.0
        while n < 1000 {
            term *= -x / n
            let c = term / (a + n)
            sum += c
            if abs(c) <= abs(sum) * 0x1p-54 { break }
            n += 1
        }
        return -expm1(t) - exp(t) * a * sum
    }
}
