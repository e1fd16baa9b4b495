// Shared helpers for the bandit tests: seeded Bernoulli arms and a simulation loop.

import Stats

/// The arm names used by the simulations: "a0", "a1", ….
func armNames(_ count: Int) -> [String] { (0..<count).map { "a\($0)" } }

/// One simulated run of a policy on Bernoulli arms.
struct BanditRun {
    /// Pulls of each arm over the whole run.
    var pulls: [Int]
    /// Pseudo-regret Σ (μ* − μ_{a_t}) at each checkpoint.
    var regretAt: [Int: Double]
    /// Fraction of the last quarter of the horizon spent on the best arm.
    var lastQuarterOptimal: Double
}

/// Plays `policy` for `horizon` steps on Bernoulli arms with `means` (arm i is named "ai"),
/// rewards drawn from `SeededGenerator(seed: rewardSeed)`.
func simulate(_ policy: any BanditPolicy, means: [Double], horizon: Int, rewardSeed: UInt64,
              checkpoints: [Int] = []) throws -> BanditRun {
    var rng = SeededGenerator(seed: rewardSeed)
    let names = armNames(means.count)
    var position: [String: Int] = [:]
    for (i, n) in names.enumerated() { position[n] = i }
    let best = means.max()!
    let bestArm = means.firstIndex(of: best)!
    var run = BanditRun(pulls: Array(repeating: 0, count: means.count), regretAt: [:], lastQuarterOptimal: 0)
    var regret = 0.0
    var optimalLate = 0
    let lateStart = horizon - horizon / 4
    let marks = Set(checkpoints)
    for t in 1...horizon {
        let name = policy.select()
        let i = position[name]!
        let reward: Double = rng.nextDouble() < means[i] ? 1 : 0
        try policy.update(arm: name, reward: reward)
        run.pulls[i] += 1
        regret += best - means[i]
        if t > lateStart, i == bestArm { optimalLate += 1 }
        if marks.contains(t) { run.regretAt[t] = regret }
    }
    run.regretAt[horizon] = regret
    run.lastQuarterOptimal = Double(optimalLate) / Double(horizon / 4)
    return run
}

/// Runs a best-arm identifier on Bernoulli arms until it stops (or `budget` pulls); returns its
/// answer and the pulls used.
func identify(_ identifier: any BestArmIdentifier, means: [Double], rewardSeed: UInt64,
              budget: Int) throws -> (answer: [String]?, pulls: Int) {
    var rng = SeededGenerator(seed: rewardSeed)
    var position: [String: Int] = [:]
    for (i, n) in identifier.arms.enumerated() { position[n] = i }
    while !identifier.isDone, identifier.totalPulls < budget {
        let name = identifier.select()
        let reward: Double = rng.nextDouble() < means[position[name]!] ? 1 : 0
        try identifier.update(arm: name, reward: reward)
    }
    return (identifier.topK, identifier.totalPulls)
}
