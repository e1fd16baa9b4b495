import Foundation

/// KL-UCB for Bernoulli rewards (Garivier & Cappé 2011): pull the arm with the largest
/// U = max{q ∈ [μ̂, 1] : n·kl(μ̂, q) ≤ ln t + c·ln ln t}, kl the Bernoulli divergence.
///
/// Rewards must lie in [0, 1] (kl is the Bernoulli divergence, which bounds any [0, 1]
/// distribution's deviations). The paper's theorem takes c = 3, its experiments c = 0 (the
/// default). The c·ln ln t term is dropped while t < 3, where ln ln t is negative or undefined.
/// U is found by a bracketed Newton iteration to about 1e-14 (closed form when μ̂ = 0).
///
/// Unplayed arms are pulled first, in arm order (index +∞); ties go to the arm earliest in arm
/// order (deterministic, no seed); `selectK(k)` returns the k largest indices. Not thread-safe.
public final class KLUCB: IndexPolicy {
    /// The weight c of the ln ln t term.
    public let c: Double

    /// Creates a KL-UCB policy.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - c: The weight of the ln ln t term, finite and ≥ 0.
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad `c`.
    public init(arms: [String], c: Double = 0) throws(StatsError) {
        try BanditCheck.nonNegative(c, "c", "KLUCB")
        self.c = c
        try super.init(arms: arms, owner: "KLUCB", unitInterval: true) { t, i in
            KLUCB.index(mean: t.means[i], pulls: t.pulls[i], totalPulls: t.total, c: c)
        }
    }

    /// Returns the Bernoulli Kullback–Leibler divergence kl(p, q).
    ///
    /// kl(p, q) = p ln(p/q) + (1−p) ln((1−p)/(1−q)), with 0·ln 0 = 0; +∞ when q ∈ {0, 1} and p ≠ q.
    /// - Parameters:
    ///   - p: The first mean, in [0, 1].
    ///   - q: The second mean, in [0, 1].
    public static func bernoulliKL(_ p: Double, _ q: Double) -> Double {
        var d = 0.0
        if p > 0 { d += p * log(p / q) }
        if p < 1 { d += (1 - p) * log((1 - p) / (1 - q)) }
        return max(d, 0)
    }

    /// Returns the KL-UCB index max{q ∈ [μ̂, 1] : n·kl(μ̂, q) ≤ ln t + c·ln ln t}.
    ///
    /// - Parameters:
    ///   - mean: The arm's mean reward μ̂ in [0, 1].
    ///   - pulls: The arm's number of pulls n; 0 gives +∞.
    ///   - totalPulls: The total number of pulls t ≥ 1.
    ///   - c: The weight of the ln ln t term (dropped while t < 3).
    /// - Complexity: a few Newton steps (at most 200 bracketed steps).
    public static func index(mean: Double, pulls: Int, totalPulls: Int, c: Double = 0) -> Double {
        guard pulls > 0 else { return .infinity }
        let logT = log(Double(max(totalPulls, 1)))
        let level = totalPulls >= 3 ? logT + c * log(logT) : logT
        return upperBound(mean: min(max(mean, 0), 1), level: level / Double(pulls))
    }

    /// max{q ∈ [p, 1] : kl(p, q) ≤ level}, by Newton's method from above, bracketed.
    static func upperBound(mean p: Double, level: Double) -> Double {
        if level <= 0 || p >= 1 { return p }
        if p <= 0 { return -expm1(-level) }  // kl(0, q) = −ln(1 − q)
        // kl(p, ·) is convex and increasing on [p, 1): f(lo) < 0 ≤ f(hi); Pinsker gives hi.
        var lo = p
        var hi = min(1, p + (level / 2).squareRoot())
        var x = hi < 1 ? hi : 0.5 * (lo + hi)
        for _ in 0..<200 {
            let f = bernoulliKL(p, x) - level
            if f == 0 { return x }
            if f > 0 { hi = x } else { lo = x }
            let slope = (x - p) / (x * (1 - x))
            var next = x - f / slope
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            if abs(next - x) <= 1e-15 || hi - lo <= 1e-15 { return next }
            x = next
        }
        return x
    }
}
