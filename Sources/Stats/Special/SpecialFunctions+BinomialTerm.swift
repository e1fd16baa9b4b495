import Foundation

extension SpecialFunctions {
    /// log[C(n, k) pᵏ (1 − p)ⁿ⁻ᵏ] for integer-valued 0 ≤ k ≤ n, by Loader's saddle-point form
    /// (R's `dbinom_raw`): δ(n) − δ(k) − δ(n−k) − bd0(k, np) − bd0(n−k, n(1−p)) − ½ log(2πk(n−k)/n),
    /// with np − k formed by one fma and n(1−p) − (n−k) = −(np − k), so 1 − p is never rounded.
    /// - Returns: the log-probability; −∞ outside 0…n.
    static func logBinomialTerm(_ k: Double, _ n: Double, _ p: Double) -> Double {
        if k.isNaN || n.isNaN || p.isNaN { return .nan }
        if k < 0 || k > n { return -.infinity }
        if p == 0 { return k == 0 ? 0 : -.infinity }
        if p == 1 { return k == n ? 0 : -.infinity }
        if k == 0 { return n * log1p(-p) }
        if k == n { return n * log(p) }
        let d = (-k).addingProduct(n, p)  // np − k
        let nk = n - k
        let np = n * p
        let nq = p < 0.5 ? n - np : n * (1 - p)
        let lc = stirlingError(n) - stirlingError(k) - stirlingError(nk) - deviance(k, np, d) - deviance(nk, nq, -d)
        let lf = MathConstants.log2Pi + log(k) + log(nk / n)
        return lc - 0.5 * lf
    }
}
