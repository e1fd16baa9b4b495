import Foundation

/// Softmax (Boltzmann) exploration: pull arm i with probability exp(μ̂ᵢ/τ) / Σⱼ exp(μ̂ⱼ/τ).
///
/// The probabilities are formed as exp((μ̂ᵢ − max μ̂)/τ), normalized, so they stay finite for any
/// means and temperatures. Unplayed arms count as mean 0 and are not forced (MABWiser's
/// convention). `selectK(k)` draws k arms without replacement, each draw softmax over the arms
/// not yet chosen (Plackett–Luce sampling), so `selectK(1)` is `select()`. Draws come from a
/// `SeededGenerator`. Not thread-safe.
public final class Softmax: BanditPolicy {
    /// The temperature τ.
    public let tau: Double
    /// The seed of the policy's generator.
    public let seed: UInt64
    private var table: ArmTable
    private var rng: SeededGenerator

    /// Creates a softmax policy.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - tau: The temperature, finite and > 0 (small: greedy; large: uniform).
    ///   - seed: The seed of the policy's random draws.
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad `tau`.
    public init(arms: [String], tau: Double = 1, seed: UInt64 = 123_456) throws(StatsError) {
        try BanditCheck.positive(tau, "tau", "Softmax")
        self.tau = tau
        self.seed = seed
        table = try ArmTable(arms: arms, owner: "Softmax")
        rng = SeededGenerator(seed: seed)
    }

    /// Returns the softmax probabilities exp((μᵢ − max μ)/τ) / Σⱼ exp((μⱼ − max μ)/τ).
    ///
    /// - Parameters:
    ///   - means: The mean rewards, finite and non-empty.
    ///   - tau: The temperature, > 0.
    public static func probabilities(means: [Double], tau: Double) -> [Double] {
        guard let top = means.max() else { return [] }
        let weights = means.map { exp(($0 - top) / tau) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
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

    /// Returns an arm drawn from the softmax distribution over the means.
    /// - Complexity: O(K) for K arms.
    public func select() -> String {
        var candidates = Array(table.names.indices)
        return table.names[pick(from: &candidates)]
    }

    /// Returns k distinct arms drawn one after another without replacement, each from the softmax
    /// over the arms left.
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

    /// Returns every arm's statistics with its softmax probability as `probability`.
    public func stats() -> [ArmStats] {
        let p = Softmax.probabilities(means: table.means, tau: tau)
        return table.names.indices.map { table.snapshot($0, probability: p[$0]) }
    }

    /// Removes and returns one softmax draw among `candidates` (non-empty).
    private func pick(from candidates: inout [Int]) -> Int {
        let p = Softmax.probabilities(means: candidates.map { table.means[$0] }, tau: tau)
        let u = rng.nextDouble()
        var cumulative = 0.0
        var slot = p.lastIndex { $0 > 0 }!  // where rounding leaves u above the total
        for (j, pj) in p.enumerated() {
            cumulative += pj
            if u < cumulative { slot = j; break }
        }
        return candidates.remove(at: slot)
    }
}
