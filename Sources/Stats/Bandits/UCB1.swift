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
public final class UCB1: BanditPolicy {
    /// The exploration weight c.
    public let c: Double
    private var table: ArmTable

    /// Creates a UCB1 policy.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - c: The exploration weight, finite and ≥ 0 (1 is UCB1).
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad `c`.
    public init(arms: [String], c: Double = 1) throws(StatsError) {
        try BanditCheck.nonNegative(c, "c", "UCB1")
        self.c = c
        table = try ArmTable(arms: arms, owner: "UCB1")
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

    /// The arm names, in order.
    public var arms: [String] { table.names }

    /// The total number of rewards received.
    public var totalPulls: Int { table.total }

    /// Adds an unplayed arm at the end of the arm order (it is pulled next).
    ///
    /// - Parameter name: The new arm's name.
    /// - Throws: `StatsError.invalidArgument` when an arm of that name exists.
    public func addArm(_ name: String) throws(StatsError) { try table.add(name) }

    /// Returns the first unplayed arm, else the arm with the largest index.
    /// - Complexity: O(K) for K arms.
    public func select() -> String {
        if let i = table.firstUnplayed { return table.names[i] }
        return table.names[ArmRanking.argmax(indices())]
    }

    /// Returns the unplayed arms (in arm order), then the arms with the largest indices: k in all.
    ///
    /// - Parameter k: The number of arms, 1 ≤ k ≤ the number of arms.
    /// - Throws: `StatsError.invalidArgument` when `k` is out of range.
    /// - Complexity: O(K log K).
    public func selectK(_ k: Int) throws(StatsError) -> [String] {
        try table.check(k: k, available: table.count)
        return ArmRanking.unplayedFirstThenTop(k, indices(), pulls: table.pulls).map { table.names[$0] }
    }

    /// Records a reward for an arm.
    ///
    /// - Parameters:
    ///   - arm: The arm's name.
    ///   - reward: The reward, finite.
    /// - Throws: `StatsError.invalidArgument` for an unknown arm or a non-finite reward.
    public func update(arm: String, reward: Double) throws(StatsError) {
        let i = try table.position(of: arm)
        try table.check(reward: reward, unitInterval: false)
        table.record(i, reward)
    }

    /// Returns every arm's statistics with its index (+∞ while unplayed) as `index`.
    public func stats() -> [ArmStats] {
        let idx = indices()
        return table.names.indices.map { table.snapshot($0, index: idx[$0]) }
    }

    private func indices() -> [Double] {
        table.names.indices.map {
            UCB1.index(mean: table.means[$0], pulls: table.pulls[$0], totalPulls: table.total, c: c)
        }
    }
}
