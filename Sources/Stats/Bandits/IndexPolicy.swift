/// The shared mechanics of the upper-confidence-index policies (`UCB1`, `UCBV`, `KLUCB`): unplayed
/// arms first, in arm order; then the arm with the largest index, ties to the earliest arm.
///
/// Subclasses supply the index of an arm from its statistics; selection, `selectK` (CUCB: the k
/// largest indices, unplayed arms first), updates and `stats()` (with the index as `index`, +∞
/// while unplayed) are the same for all. Deterministic; not thread-safe.
public class IndexPolicy: BanditPolicy {
    var table: ArmTable
    private let unitInterval: Bool
    private let index: (ArmTable, Int) -> Double

    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - owner: The policy's name, for error messages.
    ///   - unitInterval: Whether rewards must lie in [0, 1].
    ///   - index: The index of arm i given the statistics.
    init(arms: [String], owner: String, unitInterval: Bool, index: @escaping (ArmTable, Int) -> Double) throws(StatsError) {
        table = try ArmTable(arms: arms, owner: owner)
        self.unitInterval = unitInterval
        self.index = index
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
    /// - Complexity: O(K) index computations for K arms.
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
    ///   - reward: The reward: finite, and in [0, 1] for `KLUCB`.
    /// - Throws: `StatsError.invalidArgument` for an unknown arm or an invalid reward.
    public func update(arm: String, reward: Double) throws(StatsError) {
        let i = try table.position(of: arm)
        try table.check(reward: reward, unitInterval: unitInterval)
        table.record(i, reward)
    }

    /// Returns every arm's statistics with its index (+∞ while unplayed) as `index`.
    public func stats() -> [ArmStats] {
        let idx = indices()
        return table.names.indices.map { table.snapshot($0, index: idx[$0]) }
    }

    private func indices() -> [Double] { table.names.indices.map { index(table, $0) } }
}
