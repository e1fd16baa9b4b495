import Foundation

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
// 631–638; coefficients of SPECFUN CALERF (netlib, public domain). exp(−x²) is formed without the
// rounding of x² (fma), so erfc keeps its relative accuracy down to the underflow at x ≈ 26.5.

extension SpecialFunctions {
    /// Returns the error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt.
    /// - Parameter x: the argument.
    /// - Returns: erf(x) in [−1, 1]; NaN for NaN.
    public static func erf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let ax = abs(x)
        if ax <= 0.46875 { return erfSmall(x) }
        let c = expMinusSquare(ax) * erfcxLarge(ax)
        return x < 0 ? c - 1 : 1 - c
    }

    /// Returns the complementary error function erfc(x) = 1 − erf(x), computed directly (not by
    /// subtraction) so that erfc(26) = 5.663192408856143e-296 keeps full relative accuracy.
    /// - Parameter x: the argument.
    /// - Returns: erfc(x) in [0, 2]; NaN for NaN.
    public static func erfc(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let ax = abs(x)
        if ax <= 0.46875 { return 1 - erfSmall(x) }
        let c = expMinusSquare(ax) * erfcxLarge(ax)
        return x < 0 ? 2 - c : c
    }

    /// Returns the scaled complementary error function erfcx(x) = e^(x²)·erfc(x), which behaves
    /// like 1/(x√π) for large x and never underflows there.
    /// - Parameter x: the argument.
    /// - Returns: erfcx(x); +∞ when e^(x²) overflows (x < −26.6); NaN for NaN.
    public static func erfcx(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x >= 0.46875 { return erfcxLarge(x) }
        if x > -0.46875 { return expSquare(x) * (1 - erfSmall(x)) }
        if x < -26.7 { return .infinity }
        return 2 * expSquare(x) - erfcxLarge(-x)
    }

    /// erf(x) for |x| ≤ 0.46875 (Cody's first interval).
    static func erfSmall(_ x: Double) -> Double {
        let a = [3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
                 3.20937758913846947e03, 1.85777706184603153e-1]
        let b = [2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
                 2.84423683343917062e03]
        let y = abs(x) > 1.11e-16 ? x * x : 0
        var num = a[4] * y
        var den = y
        for i in 0..<3 {
            num = (num + a[i]) * y
            den = (den + b[i]) * y
        }
        return x * (num + a[3]) / (den + b[3])
    }

    /// erfcx(x) for x ≥ 0.46875 (Cody's second and third intervals).
    static func erfcxLarge(_ x: Double) -> Double {
        if x <= 4 {
            let c = [5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
                     2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
                     2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8]
            let d = [1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
                     1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
                     3.43936767414372164e03, 1.23033935480374942e03]
            var num = c[8] * x
            var den = x
            for i in 0..<7 {
                num = (num + c[i]) * x
                den = (den + d[i]) * x
            }
            return (num + c[7]) / (den + d[7])
        }
        if x >= 6.71e7 { return MathConstants.invSqrtPi / x }
        let p = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
                 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2]
        let q = [2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
                 6.05183413124413191e-2, 2.33520497626869185e-3]
        let y = 1 / (x * x)
        var num = p[5] * y
        var den = y
        for i in 0..<4 {
            num = (num + p[i]) * y
            den = (den + q[i]) * y
        }
        let r = y * (num + p[4]) / (den + q[4])
        return (MathConstants.invSqrtPi - r) / x
    }

    /// e^(−x²) without the rounding error of x².
    static func expMinusSquare(_ x: Double) -> Double {
        let s = x * x
        if !(s < 800) { return s.isNaN ? .nan : 0 }
        let e = (-s).addingProduct(x, x)
        return exp(-s) * (1 - e)
    }

    /// e^(x²) without the rounding error of x².
    static func expSquare(_ x: Double) -> Double {
        let s = x * x
        if !(s < 710) { return s.isNaN ? .nan : .infinity }
        let e = (-s).addingProduct(x, x)
        return exp(s) * (1 + e)
    }
}
