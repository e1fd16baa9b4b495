import Foundation

extension SpecialFunctions {
    /// Loader's deviance term bd0(k, m) = k·log(k/m) + m − k ≥ 0, from k ≥ 0, m ≥ 0 and their
    /// difference d = m − k given separately (so a caller can form it exactly, e.g. with an fma).
    ///
    /// For |w| < 1/2, w = d/(2k + d), it sums d·w − 2k·Σⱼ w^(2j+1)/(2j+1) (no cancellation);
    /// otherwise (m < k/3 or m > 3k) the closed form k·log(k/m) + d, with the ratio from m itself so
    /// that a tiny m keeps its relative accuracy.
    static func deviance(_ k: Double, _ m: Double, _ d: Double) -> Double {
        if d.isNaN || k.isNaN || m.isNaN { return .nan }
        if k == 0 { return m }
        if d == 0 { return 0 }
        if m == 0 { return .infinity }
        if m.isInfinite || d.isInfinite { return .infinity }
        let w = d / (2 * k + d)
        if abs(w) < 0.5 {
            let w2 = w * w
            var power = 2 * k * w * w2  // 2k·w³
            var sum = d * w
            var j = 3.0
            while true {
                let term = power / j
                let next = sum - term
                if next == sum { break }
                sum = next
                power *= w2
                j += 2
            }
            return sum
        }
        let ratio = k / m
        let logRatio = ratio.isNormal && ratio.isFinite ? log(ratio) : log(k) - log(m)
        return k * logRatio + d
    }

    /// x − log1p(x) for x > −1, without cancellation for small |x|.
    static func log1pComplement(_ x: Double) -> Double {
        if abs(x) < 0.5 {
            // x − log1p(x) = x·w − 2·Σⱼ w^(2j+1)/(2j+1), w = x/(2 + x)
            return deviance(1, 1 + x, x)
        }
        return x - log1p(x)
    }
}
