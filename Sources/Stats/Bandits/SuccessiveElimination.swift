import Foundation

/// Successive elimination for best-arm identification with confidence 1 − δ (Even-Dar, Mannor &
/// Mansour 2006), with an anytime confidence radius for rewards in [0, 1].
///
/// Active arms are sampled round-robin (`select()` returns the active arm with the fewest pulls,
/// ties in arm order). After every update, an active arm a is eliminated when its upper bound
/// falls below the largest lower bound among active arms: μ̂ₐ + r(nₐ) < max_b (μ̂_b − r(n_b)),
/// with the radius
///
///     r(n) = √( ln(4 K n² / δ) / (2n) ),  K the number of arms, n the arm's pulls.
///
/// By Hoeffding's inequality and a union bound over the K arms and all n ≥ 1
/// (Σ_n 2·δ/(4Kn²) per arm, π²δ/12 < δ in all), every arm's mean stays inside μ̂ ± r(n) at all
/// times with probability ≥ 1 − δ, whatever the sampling order; then the best arm is never
/// eliminated. With equal pulls n this is Even-Dar et al.'s rule μ̂_max − μ̂ₐ > 2α with α = r(n)
/// (their α_t has the same form, √(ln(c·K·t²/δ)/t), with other constants), but it is checked after
/// every update rather than once per round. The search stops when one active arm remains or, when
/// ε > 0, when every active arm has been pulled and has r(n) ≤ ε/2: the empirically best active
/// arm is then ε-optimal with probability ≥ 1 − δ.
///
/// Rewards must lie in [0, 1]. Updates of eliminated arms are recorded but never revive them. Once
/// done, `select()` returns `best` and `selectK(1)` returns `[best]`; adding an arm reopens the
/// search with the new arm active (and K, hence the radius, larger). Deterministic; not
/// thread-safe.
public final class SuccessiveElimination: BestArmIdentifier {
    /// The error probability δ.
    public let delta: Double
    /// The tolerance ε (0: identify the best arm exactly).
    public let epsilon: Double
    private var table: ArmTable
    private var active: [Bool]
    private var identified: String?

    /// Creates a successive elimination identifier.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least one, no duplicates.
    ///   - delta: The error probability, in (0, 1).
    ///   - epsilon: The tolerance, finite and ≥ 0: stop once the best active arm is within ε of
    ///     the best arm.
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad parameter.
    public init(arms: [String], delta: Double = 0.05, epsilon: Double = 0) throws(StatsError) {
        try BanditCheck.openUnit(delta, "delta", "SuccessiveElimination")
        try BanditCheck.nonNegative(epsilon, "epsilon", "SuccessiveElimination")
        self.delta = delta
        self.epsilon = epsilon
        table = try ArmTable(arms: arms, owner: "SuccessiveElimination")
        active = Array(repeating: true, count: table.count)
        checkStop()
    }

    /// Returns the anytime confidence radius √(ln(4 K n² / δ) / (2n)).
    ///
    /// - Parameters:
    ///   - pulls: The arm's number of pulls n; 0 gives +∞.
    ///   - arms: The number of arms K ≥ 1.
    ///   - delta: The error probability δ.
    public static func radius(pulls: Int, arms: Int, delta: Double) -> Double {
        guard pulls > 0 else { return .infinity }
        let n = Double(pulls)
        return (log(4 * Double(arms) * n * n / delta) / (2 * n)).squareRoot()
    }

    /// The arm names, in order.
    public var arms: [String] { table.names }

    /// The total number of rewards received.
    public var totalPulls: Int { table.total }

    /// Whether one active arm remains (or, with ε > 0, the best active arm is ε-optimal).
    public var isDone: Bool { identified != nil }

    /// The identified best arm once done, nil before.
    public var best: String? { identified }

    /// `[best]` once done, nil before.
    public var topK: [String]? { identified.map { [$0] } }

    /// The arms not eliminated, in arm order.
    public var activeArms: [String] { table.names.indices.filter { active[$0] }.map { table.names[$0] } }

    /// The eliminated arms, in arm order.
    public var eliminatedArms: [String] { table.names.indices.filter { !active[$0] }.map { table.names[$0] } }

    /// Adds an unplayed, active arm at the end of the arm order; reopens a finished search.
    ///
    /// - Parameter name: The new arm's name.
    /// - Throws: `StatsError.invalidArgument` when an arm of that name exists.
    public func addArm(_ name: String) throws(StatsError) {
        try table.add(name)
        active.append(true)
        identified = nil
        checkStop()
    }

    /// Returns `best` once done, else the active arm with the fewest pulls (ties in arm order).
    /// - Complexity: O(K) for K arms.
    public func select() -> String {
        if let identified { return identified }
        return table.names[roundRobin()[0]]
    }

    /// Returns the k active arms with the fewest pulls (ties in arm order); once done, `[best]`.
    ///
    /// - Parameter k: The number of arms, from 1 to the number of active arms (1 once done).
    /// - Throws: `StatsError.invalidArgument` when `k` is out of range.
    /// - Complexity: O(K log K).
    public func selectK(_ k: Int) throws(StatsError) -> [String] {
        if let identified {
            try table.check(k: k, available: 1, what: "the identified arms")
            return [identified]
        }
        let order = roundRobin()
        try table.check(k: k, available: order.count, what: "the active arms")
        return order.prefix(k).map { table.names[$0] }
    }

    /// Records a reward, then eliminates the arms whose upper bound fell below the largest lower
    /// bound.
    ///
    /// - Parameters:
    ///   - arm: The arm's name.
    ///   - reward: The reward, in [0, 1].
    /// - Throws: `StatsError.invalidArgument` for an unknown arm or a reward outside [0, 1].
    /// - Complexity: O(K).
    public func update(arm: String, reward: Double) throws(StatsError) {
        let i = try table.position(of: arm)
        try table.check(reward: reward, unitInterval: true)
        table.record(i, reward)
        guard identified == nil else { return }
        eliminate()
        checkStop()
    }

    /// Returns every arm's statistics with its confidence interval μ̂ ∓ r(n) and whether it is
    /// active.
    public func stats() -> [ArmStats] {
        table.names.indices.map { i in
            let r = radius(i)
            return table.snapshot(i, lowerBound: table.means[i] - r, upperBound: table.means[i] + r,
                                  isActive: active[i])
        }
    }

    private func radius(_ i: Int) -> Double {
        SuccessiveElimination.radius(pulls: table.pulls[i], arms: table.count, delta: delta)
    }

    /// Active arms by pulls (fewest first), ties in arm order.
    private func roundRobin() -> [Int] {
        table.names.indices.filter { active[$0] }.sorted { a, b in
            table.pulls[a] != table.pulls[b] ? table.pulls[a] < table.pulls[b] : a < b
        }
    }

    private func eliminate() {
        var bestLower = -Double.infinity
        for i in table.names.indices where active[i] && table.pulls[i] > 0 {
            bestLower = max(bestLower, table.means[i] - radius(i))
        }
        for i in table.names.indices where active[i] && table.means[i] + radius(i) < bestLower {
            active[i] = false
        }
    }

    private func checkStop() {
        let live = table.names.indices.filter { active[$0] }
        if live.count == 1 {
            identified = table.names[live[0]]
            return
        }
        guard epsilon > 0, live.allSatisfy({ radius($0) <= epsilon / 2 }) else { return }
        let leader = live.max { a, b in
            table.means[a] != table.means[b] ? table.means[a] < table.means[b] : a > b
        }!
        identified = table.names[leader]
    }
}
