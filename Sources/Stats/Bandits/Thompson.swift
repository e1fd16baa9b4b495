import Foundation

/// Thompson sampling: draw a mean for every arm from its posterior and pull the largest draw.
///
/// The prior (`ThompsonPrior`) fixes the model: Beta–Bernoulli (Agrawal & Goyal 2012; [0, 1]
/// rewards, non-binary ones binarized by a Bernoulli(r) draw) or Gaussian (Agrawal & Goyal 2013).
/// Unplayed arms are not forced: their prior draw competes like any other. `selectK(k)` makes one
/// posterior draw per arm and returns the k largest draws (multiple-play Thompson sampling,
/// Komiyama, Honda & Nakagawa 2015). Ties between draws go to the arm earliest in arm order.
/// Draws come from a `SeededGenerator`, so a seed and the sequence of calls fix every choice.
/// Not thread-safe.
public final class Thompson: BanditPolicy {
    /// The prior.
    public let prior: ThompsonPrior
    /// The seed of the policy's generator.
    public let seed: UInt64
    private var table: ArmTable
    private var rng: SeededGenerator
    /// Binarized successes and failures per arm (Beta prior only).
    private var successes: [Double]
    private var failures: [Double]

    /// Creates a Thompson sampling policy.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - prior: The prior: `.beta(a:b:)` with shapes finite and > 0, or `.gaussian(mean:sigma:)`
    ///     with a finite mean and a finite sigma > 0.
    ///   - seed: The seed of the policy's random draws.
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad prior.
    public init(arms: [String], prior: ThompsonPrior = .beta(a: 1, b: 1),
                seed: UInt64 = 123_456) throws(StatsError) {
        switch prior {
        case .beta(let a, let b):
            try BanditCheck.positive(a, "prior a", "Thompson")
            try BanditCheck.positive(b, "prior b", "Thompson")
        case .gaussian(let mean, let sigma):
            try ParameterCheck.finite(mean, "prior mean", "Thompson")
            try BanditCheck.positive(sigma, "prior sigma", "Thompson")
        }
        self.prior = prior
        self.seed = seed
        table = try ArmTable(arms: arms, owner: "Thompson")
        rng = SeededGenerator(seed: seed)
        successes = Array(repeating: 0, count: table.count)
        failures = Array(repeating: 0, count: table.count)
    }

    /// The arm names, in order.
    public var arms: [String] { table.names }

    /// The total number of rewards received.
    public var totalPulls: Int { table.total }

    /// Adds an arm with no rewards (its posterior is the prior) at the end of the arm order.
    ///
    /// - Parameter name: The new arm's name.
    /// - Throws: `StatsError.invalidArgument` when an arm of that name exists.
    public func addArm(_ name: String) throws(StatsError) {
        try table.add(name)
        successes.append(0)
        failures.append(0)
    }

    /// Draws once from every arm's posterior and returns the arm with the largest draw.
    /// - Complexity: O(K) draws for K arms.
    public func select() -> String {
        table.names[ArmRanking.argmax(draws())]
    }

    /// Draws once from every arm's posterior and returns the arms with the k largest draws.
    ///
    /// - Parameter k: The number of arms, 1 ≤ k ≤ the number of arms.
    /// - Throws: `StatsError.invalidArgument` when `k` is out of range.
    /// - Complexity: O(K log K).
    public func selectK(_ k: Int) throws(StatsError) -> [String] {
        try table.check(k: k, available: table.count)
        return ArmRanking.top(k, draws()).map { table.names[$0] }
    }

    /// Records a reward for an arm, binarizing it under a Beta prior.
    ///
    /// - Parameters:
    ///   - arm: The arm's name.
    ///   - reward: The reward: in [0, 1] under a Beta prior, finite under a Gaussian prior.
    /// - Throws: `StatsError.invalidArgument` for an unknown arm or an invalid reward.
    public func update(arm: String, reward: Double) throws(StatsError) {
        let i = try table.position(of: arm)
        if case .beta = prior {
            try table.check(reward: reward, unitInterval: true)
            let success = reward == 1 || (reward > 0 && rng.nextDouble() < reward)
            if success { successes[i] += 1 } else { failures[i] += 1 }
        } else {
            try table.check(reward: reward, unitInterval: false)
        }
        table.record(i, reward)
    }

    /// Returns every arm's statistics with its posterior mean as `index`.
    public func stats() -> [ArmStats] {
        table.names.indices.map { i in
            let posteriorMean: Double
            switch prior {
            case .beta(let a, let b):
                posteriorMean = (a + successes[i]) / (a + b + successes[i] + failures[i])
            case .gaussian(let mean, _):
                posteriorMean = (mean + table.sum(i)) / Double(table.pulls[i] + 1)
            }
            return table.snapshot(i, index: posteriorMean)
        }
    }

    /// One posterior draw per arm, in arm order.
    private func draws() -> [Double] {
        switch prior {
        case .beta(let a, let b):
            return table.names.indices.map { rng.betaDraw(a: a + successes[$0], b: b + failures[$0]) }
        case .gaussian(let mean, let sigma):
            return table.names.indices.map { i in
                let n = Double(table.pulls[i] + 1)
                return (mean + table.sum(i)) / n + sigma / n.squareRoot() * rng.nextNormal()
            }
        }
    }
}
