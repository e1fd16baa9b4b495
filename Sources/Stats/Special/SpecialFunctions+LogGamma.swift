import Foundation

extension SpecialFunctions {
    /// Returns log|Γ(x)|, the logarithm of the absolute value of the gamma function.
    ///
    /// For x > 0 the relative error is a few ulps: Taylor series with ζ(k) − 1 coefficients around
    /// 1 and 2 (so log Γ(1) = log Γ(2) = 0 exactly and the zeros are resolved to full relative
    /// accuracy), the recurrence up to 10, and Stirling's series with ten terms above. Negative
    /// non-integers use the reflection formula (absolute, not relative, accuracy near the zeros of
    /// log|Γ|); the poles 0, −1, −2, … give +∞.
    /// - Parameter x: the argument.
    /// - Returns: log|Γ(x)|; NaN for NaN.
    public static func logGamma(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x.isInfinite { return .infinity }
        if x <= 0 {
            if x == x.rounded(.down) { return .infinity }
            // |Γ(x)| = π / (|sin(πx)|·Γ(1 − x))
            return MathConstants.logPi - log(abs(sinPi(x))) - logGamma(1 - x)
        }
        if x < 0.5 { return logGamma1pSeries(x) - log(x) }
        if x < 1.5 { return logGamma1pSeries(x - 1) }
        if x < 2.5 { return logGamma2pSeries(x - 2) }
        if x < 10 {
            var z = x
            var product = 1.0
            while z >= 2.5 {
                z -= 1
                product *= z
            }
            return logGamma2pSeries(z - 2) + log(product)
        }
        return (x - 0.5) * log(x) - x + MathConstants.logSqrt2Pi + stirlingSeries(x)
    }

    /// Returns log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b) without the cancellation of the
    /// three-term sum: Stirling's form when both arguments are ≥ 10, an accurate
    /// log Γ(q + p) − log Γ(q) otherwise.
    /// - Parameters:
    ///   - a: the first parameter, > 0.
    ///   - b: the second parameter, > 0.
    /// - Returns: log B(a, b); +∞ when a or b is 0; NaN for a negative or NaN argument.
    public static func logBeta(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN || a < 0 || b < 0 { return .nan }
        if a == 0 || b == 0 { return .infinity }
        let p = min(a, b), q = max(a, b)
        if q.isInfinite { return p.isInfinite ? .nan : -.infinity }
        if p >= 10 {
            // log B = −½ log q + log √(2π) + δ(p) + δ(q) − δ(p+q) + (p − ½) log(p/(p+q)) + q log1p(−p/(p+q))
            let n = p + q
            let correction = stirlingSeries(p) + stirlingSeries(q) - stirlingSeries(n)
            let r = p / n
            return -0.5 * log(q) + MathConstants.logSqrt2Pi + correction + (p - 0.5) * log(r) + q * log1p(-r)
        }
        return logGamma(p) - logGammaRatio(q, p)
    }

    /// log Γ(1 + a), accurate near a = 0 (relative) and valid for a > −1.
    static func logGamma1p(_ a: Double) -> Double {
        if abs(a) <= 0.5 { return logGamma1pSeries(a) }
        if a > 0.5, a <= 1.5 { return logGamma2pSeries(a - 1) }
        return logGamma(1 + a)
    }

    /// log Γ(b + a) − log Γ(b) for b > 0, a ≥ 0, with absolute error a few ulps of
    /// a·(|log b| + 1): exact shifts b → b + 1 up to 8, then Stirling's form with the difference of
    /// the Stirling corrections taken term by term (so tiny a keeps full relative accuracy).
    static func logGammaRatio(_ b: Double, _ a: Double) -> Double {
        if a == 0 { return 0 }
        if a.isNaN || b.isNaN { return .nan }
        var bb = b
        var shift = 0.0
        while bb < 8 {
            shift += log1p(a / bb)
            bb += 1
        }
        let r = a / bb
        let l = log1p(r)
        // (bb + a − ½)·log1p(r) − a, with the large parts of the two terms cancelling exactly.
        let mid = (bb - 0.5) * l + a * (l - 1)
        return a * log(bb) + mid + stirlingDifference(bb, l) - shift
    }

    /// Loader's stirlerr: log Γ(z + 1) − (z + ½) log z + z − log √(2π), for z ≥ 0.
    static func stirlingError(_ z: Double) -> Double {
        if z >= 10 { return stirlingSeries(z) }
        let twice = 2 * z
        if twice == twice.rounded(), twice <= 30 { return stirlingErrorHalves[Int(twice)] }
        if z == 0 { return 0 }
        return logGamma1p(z) - (z + 0.5) * log(z) + z - MathConstants.logSqrt2Pi
    }

    /// The Stirling series Σ B₂ₖ / (2k(2k−1) z^(2k−1)), k = 1…10; relative error < 1e-17 for z ≥ 8.
    static func stirlingSeries(_ z: Double) -> Double {
        if z.isInfinite { return 0 }
        let r = 1 / z
        let r2 = r * r
        var sum = stirlingCoefficients[stirlingCoefficients.count - 1]
        for k in stride(from: stirlingCoefficients.count - 2, through: 0, by: -1) {
            sum = sum * r2 + stirlingCoefficients[k]
        }
        return sum * r
    }

    /// stirlingSeries(b·e^l) − stirlingSeries(b) for b ≥ 8, l = log((b + a)/b) ≥ 0, term by term.
    static func stirlingDifference(_ b: Double, _ l: Double) -> Double {
        var sum = 0.0
        var power = 1 / b
        let r2 = power * power
        for (k, c) in stirlingCoefficients.enumerated() {
            sum += c * power * expm1(-Double(2 * k + 1) * l)
            power *= r2
            if power < 1e-300 { break }
        }
        return sum
    }

    /// sin(πx), with the argument reduced exactly.
    static func sinPi(_ x: Double) -> Double {
        var r = x.truncatingRemainder(dividingBy: 2)  // exact
        if r <= -1 { r += 2 } else if r > 1 { r -= 2 }
        // r in (−1, 1]
        if r > 0.5 { r = 1 - r } else if r < -0.5 { r = -1 - r }
        return sin(Double.pi * r)
    }

    /// log Γ(2 + a) = (1 − γ)a + Σₖ₌₂ (−1)ᵏ (ζ(k) − 1)/k · aᵏ for |a| ≤ 0.5.
    static func logGamma2pSeries(_ a: Double) -> Double {
        let c = zetaMinusOneOverK
        var sum = c[c.count - 1]
        for k in stride(from: c.count - 2, through: 0, by: -1) {
            sum = c[k] - a * sum
        }
        return a * ((1 - MathConstants.euler) + a * sum)
    }

    /// log Γ(1 + a) = log Γ(2 + a) − log1p(a) for |a| ≤ 0.5.
    static func logGamma1pSeries(_ a: Double) -> Double {
        logGamma2pSeries(a) - log1p(a)
    }

    /// (ζ(k) − 1)/k for k = 2…41 (mpmath, 60 digits, rounded).
    static let zetaMinusOneOverK: [Double] = [
        0.3224670334241132, 0.0673523010531981, 0.020580808427784546, 0.007385551028673986,
        0.0028905103307415234, 0.001192753911703261, 0.0005096695247430425, 0.00022315475845357939,
        9.945751278180853e-05, 4.492623673813314e-05, 2.050721277567069e-05, 9.439488275268397e-06,
        4.374866789907488e-06, 2.039215753801366e-06, 9.55141213040742e-07, 4.492469198764566e-07,
        2.1207184805554665e-07, 1.0043224823968099e-07, 4.7698101693639804e-08, 2.2711094608943164e-08,
        1.0838659214896955e-08, 5.183475041970047e-09, 2.4836745438024785e-09, 1.1921401405860912e-09,
        5.731367241678862e-10, 2.7595228851242334e-10, 1.330476437424449e-10, 6.4229645638381e-11,
        3.1044247747322276e-11, 1.5021384080754142e-11, 7.275974480239079e-12, 3.527742476575915e-12,
        1.711991790559618e-12, 8.315385841420285e-13, 4.04220052528944e-13, 1.9664756310966165e-13,
        9.573630387838556e-14, 4.6640760264283744e-14, 2.2737369600659724e-14, 1.1091399470834522e-14,
    ]

    /// B₂ₖ / (2k(2k − 1)) for k = 1…10.
    static let stirlingCoefficients: [Double] = [
        1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360360, 1.0 / 156,
        -3617.0 / 122400, 43867.0 / 244188, -174611.0 / 125400,
    ]

    /// stirlingError(n/2) for n = 0…30 (mpmath, 60 digits; n = 0 is 0 by convention).
    static let stirlingErrorHalves: [Double] = [
        0.0, 0.15342640972002736, 0.08106146679532726, 0.05481412105191765, 0.0413406959554093,
        0.03316287351993629, 0.02767792568499834, 0.023746163656297496, 0.020790672103765093,
        0.018488450532673187, 0.016644691189821193, 0.015134973221917378, 0.013876128823070748,
        0.012810465242920227, 0.01189670994589177, 0.011104559758206917, 0.010411265261972096,
        0.009799416126158804, 0.009255462182712733, 0.008768700134139386, 0.00833056343336287,
        0.00793411456431402, 0.007573675487951841, 0.007244554301320383, 0.00694284010720953,
        0.006665247032707682, 0.006408994188004207, 0.006171712263039458, 0.0059513701127588475,
        0.0057462165130101155, 0.005554733551962801,
    ]
}
