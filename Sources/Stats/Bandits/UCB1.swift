import Foundation

/// UCB1 (Auer, Cesa-Bianchi & Fischer 2002): pull the arm with the largest upper confidence index
/// μ̂ + c·√(2 ln t / n), where t is the total number of pulls and n the arm's.
///
/// c = 1 is UCB1 proper, with expected regret at most Σ 8 ln T/Δ + (1 + π²/3)·Σ Δ for rewards in
/// [0, 1]; c is MABWiser's `alpha`. Rewards may be any finite numbers, but the guarantee assumes
/// [0, 1].
///
/// Unplayed arms are pulled first, in arm order (their index is +∞); MABWiser differs (its
/// unplayed arms score 0). Ties in the index go to the arm earliest in arm order, so the policy
/// is deterministic and takes no seed. `selectK(k)` returns the k largest indices (CUCB, Chen,
/// Wang & Yuan 2013), unplayed arms first. Not thread-safe.
public final class UCB1: IndexPolicy {
    /// The exploration weight c.
    public let c: Double

    /// Creates a UCB1 policy.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - c: The exploration weight, finite and ≥ 0 (1 is UCB1).
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad `c`.
    public init(arms: [String], c: Double = 1) throws(StatsError) {
        try BanditCheck.nonNegative(c, "c", "UCB1")
        self.c = c
        try super.init(arms: arms, owner: "UCB1", unitInterval: false) { t, i in
            UCB1.index(mean: t.means[i], pulls: t.pulls[i], totalPulls: t.total, c: c)
        }
    }

    /// Returns the UCB1 index μ̂ + c·√(2 ln t / n) (MABWiser's `_get_ucb(mean, alpha, total,
    /// arm_count)`).
    ///
    /// - Parameters:
    ///   - mean: The arm's mean reward μ̂.
    ///   - pulls: The arm's number of pulls n; 0 gives +∞.
    ///   - totalPulls: The total number of pulls t ≥ 1.
    ///   - c: The exploration weight.
    public static func index(mean: Double, pulls: Int, totalPulls: Int, c: Double = 1) -> Double {
        guard pulls > 0 else { return .infinity }
        return mean + c * (2 * log(Double(max(totalPulls, 1))) / Double(pulls)).squareRoot()
    }
}
