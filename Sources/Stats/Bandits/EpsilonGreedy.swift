/// ε-greedy: with probability ε pull an arm uniformly at random, otherwise the arm with the
/// highest mean reward (ties broken uniformly at random).
///
/// It exploits the argmax of the *means* (SMPyBandits' `EpsilonGreedy` uses the sums). Unplayed
/// arms count as mean 0 and are not forced (MABWiser's convention), so with ε = 0 an arm whose
/// rewards are all negative loses to an unplayed one. Every pull therefore has probability at
/// least ε/K, and the greedy arm (1 − ε) + ε/K when it is unique: `stats()` reports these
/// probabilities.
///
/// `selectK(k)` fills k slots one after another: each slot independently, with probability ε,
/// takes an arm uniformly at random among those not yet chosen, and otherwise the highest-mean
/// arm not yet chosen (ties at random), so `selectK(1)` is `select()`. Draws come from a
/// `SeededGenerator`. Not thread-safe.
public final class EpsilonGreedy: BanditPolicy {
    /// The exploration probability ε.
    public let epsilon: Double
    /// The seed of the policy's generator.
    public let seed: UInt64
    private var table: ArmTable
    private var rng: SeededGenerator

    /// Creates an ε-greedy policy.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - epsilon: The exploration probability, in [0, 1].
    ///   - seed: The seed of the policy's random draws.
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad `epsilon`.
    public init(arms: [String], epsilon: Double = 0.1, seed: UInt64 = 123_456) throws(StatsError) {
        try BanditCheck.unit(epsilon, "epsilon", "EpsilonGreedy")
        self.epsilon = epsilon
        self.seed = seed
        table = try ArmTable(arms: arms, owner: "EpsilonGreedy")
        rng = SeededGenerator(seed: seed)
    }

    /// The arm names, in order.
    public var arms: [String] { table.names }

    /// The total number of rewards received.
    public var totalPulls: Int { table.total }

    /// Adds an arm (mean 0 until played) at the end of the arm order.
    ///
    /// - Parameter name: The new arm's name.
    /// - Throws: `StatsError.invalidArgument` when an arm of that name exists.
    public func addArm(_ name: String) throws(StatsError) { try table.add(name) }

    /// Returns a uniformly random arm with probability ε, else a highest-mean arm.
    /// - Complexity: O(K) for K arms.
    public func select() -> String {
        var candidates = Array(table.names.indices)
        return table.names[pick(from: &candidates)]
    }

    /// Returns k distinct arms chosen slot by slot, each slot ε-greedy among the arms left.
    ///
    /// - Parameter k: The number of arms, 1 ≤ k ≤ the number of arms.
    /// - Throws: `StatsError.invalidArgument` when `k` is out of range.
    /// - Complexity: O(kK).
    public func selectK(_ k: Int) throws(StatsError) -> [String] {
        try table.check(k: k, available: table.count)
        var candidates = Array(table.names.indices)
        return (0..<k).map { _ in table.names[pick(from: &candidates)] }
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

    /// Returns every arm's statistics with the probability that `select()` returns it:
    /// ε/K, plus (1 − ε)/m for each of the m arms tied for the highest mean.
    public func stats() -> [ArmStats] {
        let best = table.means.max()!
        let ties = table.means.filter { $0 == best }.count
        let k = Double(table.count)
        return table.names.indices.map { i in
            let greedy = table.means[i] == best ? (1 - epsilon) / Double(ties) : 0
            return table.snapshot(i, probability: epsilon / k + greedy)
        }
    }

    /// Removes and returns one ε-greedy choice among `candidates` (non-empty, in arm order).
    private func pick(from candidates: inout [Int]) -> Int {
        if rng.nextDouble() < epsilon {
            return candidates.remove(at: rng.nextInt(below: candidates.count))
        }
        let best = candidates.map { table.means[$0] }.max()!
        let ties = candidates.indices.filter { table.means[candidates[$0]] == best }
        let slot = ties.count == 1 ? ties[0] : ties[rng.nextInt(below: ties.count)]
        return candidates.remove(at: slot)
    }
}
