import Foundation

/// LUCB1 (Kalyanakrishnan, Tewari, Auer & Stone 2012): (ε, δ)-PAC identification of the k best
/// arms by sampling the two arms most likely to be misclassified.
///
/// With t the total number of pulls and u an arm's pulls, each arm's interval is μ̂ ± r with
///
///     r(u, t) = √β(u, t, δ),  β(u, t, δ) = ln(5 K t⁴ / (4δ)) / (2u),
///
/// LUCB1's exploration rate (k₁ = 5/4). Let High be the k arms with the largest means (ties in arm
/// order) and Low the rest; h* is the arm of High with the smallest lower bound and l* the arm of
/// Low with the largest upper bound. The search stops, with High as the answer, when
/// U(l*) − L(h*) < ε; otherwise LUCB1 samples both h* and l*. The paper's t counts rounds of two
/// pulls; here t counts pulls, which only widens the intervals, and the paper's union bound
/// (one-sided Hoeffding over all t, arms and u ≤ t: Σ_t K·t·δ/(k₁Kt⁴) = ζ(3)·δ/k₁ ≈ 0.96δ)
/// holds unchanged. So with probability ≥ 1 − δ every arm of the answer is within ε of the k-th best
/// mean, for rewards in [0, 1].
///
/// One pull at a time: unplayed arms first (arm order), then `select()` returns whichever of h*
/// and l* has fewer pulls (h* on a tie), the single-sample variant of Kaufmann & Kalyanakrishnan
/// (2013); `selectK(2)` returns the LUCB1 pair itself. Once done, `select()` returns `best` and
/// `selectK(j)` the first j arms of `topK`; with k equal to the number of arms the search is done
/// at once. No arm is eliminated. Rewards must lie in [0, 1]. Deterministic; not thread-safe.
public final class LUCB: BestArmIdentifier {
    /// The error probability δ.
    public let delta: Double
    /// The tolerance ε (0: exact top-k identification).
    public let epsilon: Double
    /// The number of arms to identify.
    public let k: Int
    private var table: ArmTable
    private var identified: [String]?

    /// Creates a LUCB1 identifier.
    ///
    /// - Parameters:
    ///   - arms: The arm names: at least `k`, no duplicates.
    ///   - delta: The error probability, in (0, 1).
    ///   - epsilon: The tolerance, finite and ≥ 0.
    ///   - k: The number of best arms to identify, from 1 to the number of arms.
    /// - Throws: `StatsError.invalidArgument` for an empty or duplicated arm list or a bad parameter.
    public init(arms: [String], delta: Double = 0.05, epsilon: Double = 0, k: Int = 1) throws(StatsError) {
        try BanditCheck.openUnit(delta, "delta", "LUCB")
        try BanditCheck.nonNegative(epsilon, "epsilon", "LUCB")
        table = try ArmTable(arms: arms, owner: "LUCB")
        try table.check(k: k, available: table.count)
        self.delta = delta
        self.epsilon = epsilon
        self.k = k
        checkStop()
    }

    /// Returns LUCB1's confidence radius √(ln(5 K t⁴ / (4δ)) / (2u)).
    ///
    /// - Parameters:
    ///   - pulls: The arm's number of pulls u; 0 gives +∞.
    ///   - totalPulls: The total number of pulls t (values below 1 count as 1).
    ///   - arms: The number of arms K ≥ 1.
    ///   - delta: The error probability δ.
    public static func radius(pulls: Int, totalPulls: Int, arms: Int, delta: Double) -> Double {
        guard pulls > 0 else { return .infinity }
        let logRate = log(5 * Double(arms) / (4 * delta)) + 4 * log(Double(max(totalPulls, 1)))
        return (logRate / (2 * Double(pulls))).squareRoot()
    }

    /// The arm names, in order.
    public var arms: [String] { table.names }

    /// The total number of rewards received.
    public var totalPulls: Int { table.total }

    /// Whether the stopping rule U(l*) − L(h*) < ε has fired.
    public var isDone: Bool { identified != nil }

    /// The identified arm with the highest mean once done, nil before.
    public var best: String? { identified?.first }

    /// The k identified arms once done, highest mean first (ties in arm order), nil before.
    public var topK: [String]? { identified }

    /// Every arm (LUCB eliminates none), in arm order.
    public var activeArms: [String] { table.names }

    /// Always empty: LUCB eliminates no arm.
    public var eliminatedArms: [String] { [] }

    /// Adds an unplayed arm at the end of the arm order; reopens a finished search.
    ///
    /// - Parameter name: The new arm's name.
    /// - Throws: `StatsError.invalidArgument` when an arm of that name exists.
    public func addArm(_ name: String) throws(StatsError) {
        try table.add(name)
        identified = nil
        checkStop()
    }

    /// Returns `best` once done; else the first unplayed arm; else the less-pulled of h* and l*.
    /// - Complexity: O(K log K) for K arms.
    public func select() -> String {
        if let identified { return identified[0] }
        return table.names[order(1)[0]]
    }

    /// Returns k distinct arms: unplayed arms (arm order), then h* and l* (fewer pulls first),
    /// then the other arms by fewest pulls; once done, the first k arms of `topK`.
    ///
    /// - Parameter k: The number of arms: from 1 to the number of arms, or to `self.k` once done.
    /// - Throws: `StatsError.invalidArgument` when `k` is out of range.
    /// - Complexity: O(K log K).
    public func selectK(_ k: Int) throws(StatsError) -> [String] {
        if let identified {
            try table.check(k: k, available: identified.count, what: "the identified arms")
            return Array(identified.prefix(k))
        }
        try table.check(k: k, available: table.count)
        return order(k).map { table.names[$0] }
    }

    /// Records a reward, then applies the stopping rule.
    ///
    /// - Parameters:
    ///   - arm: The arm's name.
    ///   - reward: The reward, in [0, 1].
    /// - Throws: `StatsError.invalidArgument` for an unknown arm or a reward outside [0, 1].
    /// - Complexity: O(K log K).
    public func update(arm: String, reward: Double) throws(StatsError) {
        let i = try table.position(of: arm)
        try table.check(reward: reward, unitInterval: true)
        table.record(i, reward)
        if identified == nil { checkStop() }
    }

    /// Returns every arm's statistics with its confidence interval μ̂ ∓ r(u, t).
    public func stats() -> [ArmStats] {
        table.names.indices.map { i in
            let r = radius(i)
            return table.snapshot(i, lowerBound: table.means[i] - r, upperBound: table.means[i] + r)
        }
    }

    private func radius(_ i: Int) -> Double {
        LUCB.radius(pulls: table.pulls[i], totalPulls: table.total, arms: table.count, delta: delta)
    }

    /// High (the k largest means, ties in arm order), h* and l* (nil when Low is empty).
    private func split() -> (high: [Int], pair: (h: Int, l: Int)?) {
        let high = ArmRanking.top(k, table.means)
        let inHigh = Set(high)
        let low = table.names.indices.filter { !inHigh.contains($0) }
        guard !low.isEmpty else { return (high, nil) }
        let lower = high.map { table.means[$0] - radius($0) }
        let upper = low.map { table.means[$0] + radius($0) }
        // Smallest lower bound in High and largest upper bound in Low, ties in arm order.
        var h = 0
        for j in 1..<high.count where lower[j] < lower[h] || (lower[j] == lower[h] && high[j] < high[h]) {
            h = j
        }
        let l = ArmRanking.argmax(upper)
        return (high, (high[h], low[l]))
    }

    /// The first `count` arms of the sampling order.
    private func order(_ count: Int) -> [Int] {
        var out = table.names.indices.filter { table.pulls[$0] == 0 }
        if out.count >= count { return Array(out.prefix(count)) }
        if case let (h, l)? = split().pair {
            let pair = table.pulls[l] < table.pulls[h] ? [l, h] : [h, l]
            for i in pair where !out.contains(i) { out.append(i) }
        }
        let rest = table.names.indices.filter { !out.contains($0) }.sorted { a, b in
            table.pulls[a] != table.pulls[b] ? table.pulls[a] < table.pulls[b] : a < b
        }
        return Array((out + rest).prefix(count))
    }

    private func checkStop() {
        let (high, pair) = split()
        if case let (h, l)? = pair {
            guard table.pulls.allSatisfy({ $0 > 0 }) else { return }
            let gap = (table.means[l] + radius(l)) - (table.means[h] - radius(h))
            guard gap < epsilon else { return }
        }
        identified = high.map { table.names[$0] }
    }
}
