import Foundation

/// UCB-V (Audibert, Munos & Szepesvári 2009): UCB with an empirical-Bernstein index
/// μ̂ + √(2 V̂ ζ ln t / n) + c·3 b ζ ln t / n that explores less on low-variance arms.
///
/// V̂ is the arm's empirical (biased, divided by n) variance, t the total number of pulls, b the
/// width of the reward range. The theory takes c = 1 and ζ > 1 (the default ζ = 1.2 is the
/// paper's example; SMPyBandits' `UCBV` uses ζ = 1). Rewards may be any finite numbers; the
/// guarantee assumes they lie in an interval of width b.
///
/// Unplayed arms are pulled first, in arm order (index +∞); ties go to the arm earliest in arm
/// order (deterministic, no seed); `selectK(k)` returns the k largest indices. Not thread-safe.
public final class UCBV: IndexPolicy {
    /// The exploration exponent ζ.
    public let zeta: Double
    /// The weight c of the range term.
    public let c: Double
    /// The width b of the reward range.
    public let b: Double

    /// Creates a UCB-V policy.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - zeta: The exploration exponent ζ, finite and > 0 (the theory needs ζ > 1).
    ///   - c: The weight of the range term, finite and ≥ 0.
    ///   - b: The width of the reward range, finite and > 0.
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad parameter.
    public init(arms: [String], zeta: Double = 1.2, c: Double = 1, b: Double = 1) throws(StatsError) {
        try BanditCheck.positive(zeta, "zeta", "UCBV")
        try BanditCheck.nonNegative(c, "c", "UCBV")
        try BanditCheck.positive(b, "b", "UCBV")
        self.zeta = zeta
        self.c = c
        self.b = b
        try super.init(arms: arms, owner: "UCBV", unitInterval: false) { t, i in
            UCBV.index(mean: t.means[i], variance: t.variance(i), pulls: t.pulls[i], totalPulls: t.total,
                       zeta: zeta, c: c, b: b)
        }
    }

    /// Returns the UCB-V index μ̂ + √(2 V̂ ζ ln t / n) + c·3 b ζ ln t / n.
    ///
    /// - Parameters:
    ///   - mean: The arm's mean reward μ̂.
    ///   - variance: The arm's empirical (biased) variance V̂.
    ///   - pulls: The arm's number of pulls n; 0 gives +∞.
    ///   - totalPulls: The total number of pulls t ≥ 1.
    ///   - zeta: The exploration exponent ζ.
    ///   - c: The weight of the range term.
    ///   - b: The width of the reward range.
    public static func index(mean: Double, variance: Double, pulls: Int, totalPulls: Int,
                             zeta: Double = 1.2, c: Double = 1, b: Double = 1) -> Double {
        guard pulls > 0 else { return .infinity }
        let e = zeta * log(Double(max(totalPulls, 1))) / Double(pulls)
        return mean + (2 * max(variance, 0) * e).squareRoot() + c * 3 * b * e
    }
}
