import Foundation

/// Special functions behind the distributions: log-gamma and log-beta, the error functions,
/// the regularized incomplete gamma and beta functions and the normal quantile.
///
/// Every function returns NaN for a NaN argument or an argument outside its domain (as libm does)
/// instead of throwing; the distributions validate their parameters when they are made.
/// Accuracy: relative error of a few units in 1e-14 (at worst about 1e-13) against 60-digit
/// references over the ranges tested in `StatsTests` (`Tests/Fixtures/stats/*.json`), far tails
/// included.
public enum SpecialFunctions {}

/// Constants shared by the special functions (rounded to the nearest double).
enum MathConstants {
    /// log(√(2π)).
    static let logSqrt2Pi = 0.9189385332046728
    /// log(2π).
    static let log2Pi = 1.8378770664093456
    /// log(π).
    static let logPi = 1.1447298858494002
    /// log(2).
    static let log2 = 0.6931471805599453
    /// √2.
    static let sqrt2 = 1.4142135623730951
    /// 1/√2.
    static let invSqrt2 = 0.7071067811865476
    /// 1/√π.
    static let invSqrtPi = 0.5641895835477563
    /// 1/√(2π).
    static let invSqrt2Pi = 0.3989422804014327
    /// Euler's constant γ.
    static let euler = 0.5772156649015329
    /// The largest x with exp(x) finite.
    static let maxLog = 709.782712893384
    /// Smallest positive normal double.
    static let minNormal = 2.2250738585072014e-308
}

/// Error-free transformations used to keep a few products and sums exact.
enum ExactArithmetic {
    /// Returns (s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth's TwoSum).
    @inline(__always)
    static func twoSum(_ a: Double, _ b: Double) -> (sum: Double, error: Double) {
        let s = a + b
        let bb = s - a
        let e = (a - (s - bb)) + (b - bb)
        return (s, e)
    }

    /// Returns (p, e) with p = fl(a·b) and p + e = a·b exactly (one fused multiply-add).
    @inline(__always)
    static func twoProduct(_ a: Double, _ b: Double) -> (product: Double, error: Double) {
        let p = a * b
        return (p, (-p).addingProduct(a, b))
    }

    /// exp(−(h + l)²/2) for a double-double h + l with |l| ≤ ulp(h), without the rounding of h².
    static func expMinusHalfSquare(_ h: Double, _ l: Double = 0) -> Double {
        let s = h * h
        if !(s < 1600) { return s.isNaN ? .nan : 0 }
        let e = (-s).addingProduct(h, h) + 2 * h * l
        return exp(-0.5 * s) * (1 - 0.5 * e)
    }

    /// −(h + l)²/2 for a double-double h + l, as accurately as one double holds it.
    static func minusHalfSquare(_ h: Double, _ l: Double = 0) -> Double {
        let s = h * h
        if !s.isFinite { return -s }
        let e = (-s).addingProduct(h, h) + 2 * h * l
        return -0.5 * s - 0.5 * e
    }
}
