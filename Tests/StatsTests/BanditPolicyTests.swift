// The shared arm API of every bandit policy: validation messages, unplayed-first, tie-breaking,
// reproducibility by seed, selectK, and the ε-greedy and softmax selection frequencies.

import Foundation
import Stats
import Testing

/// Every policy and identifier, by a label, made with the given arms and seed.
let banditKinds = ["UCB1", "UCBV", "KLUCB", "Thompson-beta", "Thompson-gaussian", "EpsilonGreedy",
                   "Softmax", "SuccessiveElimination", "LUCB"]

func makeBandit(_ kind: String, _ arms: [String], seed: UInt64 = 7) throws -> any BanditPolicy {
    switch kind {
    case "UCB1": return try UCB1(arms: arms)
    case "UCBV": return try UCBV(arms: arms)
    case "KLUCB": return try KLUCB(arms: arms)
    case "Thompson-beta": return try Thompson(arms: arms, seed: seed)
    case "Thompson-gaussian": return try Thompson(arms: arms, prior: .gaussian(), seed: seed)
    case "EpsilonGreedy": return try EpsilonGreedy(arms: arms, seed: seed)
    case "Softmax": return try Softmax(arms: arms, seed: seed)
    case "SuccessiveElimination": return try SuccessiveElimination(arms: arms)
    case "LUCB": return try LUCB(arms: arms)
    default: fatalError("unknown bandit kind \(kind)")
    }
}

/// The type name each kind uses in its messages.
func ownerName(_ kind: String) -> String { kind.hasPrefix("Thompson") ? "Thompson" : kind }

@Suite("Bandit policies: API")
struct BanditPolicyTests {
    @Test("Parameter errors name the type, the argument and the value")
    func parameterMessages() {
        let arms = ["a", "b"]
        #expect(throws: StatsError.invalidArgument("UCB1: c must be >= 0, got -1")) { _ = try UCB1(arms: arms, c: -1) }
        #expect(throws: StatsError.invalidArgument("UCB1: c must be >= 0, got nan")) { _ = try UCB1(arms: arms, c: .nan) }
        #expect(throws: StatsError.invalidArgument("UCB1: c must be finite, got inf")) { _ = try UCB1(arms: arms, c: .infinity) }
        #expect(throws: StatsError.invalidArgument("UCBV: zeta must be > 0, got 0")) { _ = try UCBV(arms: arms, zeta: 0) }
        #expect(throws: StatsError.invalidArgument("UCBV: c must be >= 0, got -0.5")) { _ = try UCBV(arms: arms, c: -0.5) }
        #expect(throws: StatsError.invalidArgument("UCBV: b must be > 0, got -1")) { _ = try UCBV(arms: arms, b: -1) }
        #expect(throws: StatsError.invalidArgument("KLUCB: c must be >= 0, got -3")) { _ = try KLUCB(arms: arms, c: -3) }
        #expect(throws: StatsError.invalidArgument("EpsilonGreedy: epsilon must be in [0, 1], got 1.5")) { _ = try EpsilonGreedy(arms: arms, epsilon: 1.5) }
        #expect(throws: StatsError.invalidArgument("EpsilonGreedy: epsilon must be in [0, 1], got -0.1")) { _ = try EpsilonGreedy(arms: arms, epsilon: -0.1) }
        #expect(throws: StatsError.invalidArgument("EpsilonGreedy: epsilon must be in [0, 1], got nan")) { _ = try EpsilonGreedy(arms: arms, epsilon: .nan) }
        #expect(throws: StatsError.invalidArgument("Softmax: tau must be > 0, got 0")) { _ = try Softmax(arms: arms, tau: 0) }
        #expect(throws: StatsError.invalidArgument("Softmax: tau must be > 0, got -1")) { _ = try Softmax(arms: arms, tau: -1) }
        #expect(throws: StatsError.invalidArgument("Softmax: tau must be finite, got inf")) { _ = try Softmax(arms: arms, tau: .infinity) }
        #expect(throws: StatsError.invalidArgument("Thompson: prior a must be > 0, got 0")) { _ = try Thompson(arms: arms, prior: .beta(a: 0, b: 1)) }
        #expect(throws: StatsError.invalidArgument("Thompson: prior b must be > 0, got -2")) { _ = try Thompson(arms: arms, prior: .beta(a: 1, b: -2)) }
        #expect(throws: StatsError.invalidArgument("Thompson: prior sigma must be > 0, got 0")) { _ = try Thompson(arms: arms, prior: .gaussian(sigma: 0)) }
        #expect(throws: StatsError.invalidArgument("Thompson: prior mean must be finite, got nan")) { _ = try Thompson(arms: arms, prior: .gaussian(mean: .nan)) }
        #expect(throws: StatsError.invalidArgument("SuccessiveElimination: delta must be in (0, 1), got 0")) { _ = try SuccessiveElimination(arms: arms, delta: 0) }
        #expect(throws: StatsError.invalidArgument("SuccessiveElimination: delta must be in (0, 1), got 1")) { _ = try SuccessiveElimination(arms: arms, delta: 1) }
        #expect(throws: StatsError.invalidArgument("SuccessiveElimination: epsilon must be >= 0, got -0.1")) { _ = try SuccessiveElimination(arms: arms, epsilon: -0.1) }
        #expect(throws: StatsError.invalidArgument("LUCB: delta must be in (0, 1), got 1.5")) { _ = try LUCB(arms: arms, delta: 1.5) }
        #expect(throws: StatsError.invalidArgument("LUCB: delta must be in (0, 1), got nan")) { _ = try LUCB(arms: arms, delta: .nan) }
        #expect(throws: StatsError.invalidArgument("LUCB: epsilon must be >= 0, got -1")) { _ = try LUCB(arms: arms, epsilon: -1) }
        #expect(throws: StatsError.invalidArgument("LUCB: k must be >= 1, got 0")) { _ = try LUCB(arms: arms, k: 0) }
        #expect(throws: StatsError.invalidArgument("LUCB: k must be <= 2 (the number of arms), got 3")) { _ = try LUCB(arms: arms, k: 3) }
    }

    @Test("Arm list errors: empty, duplicate at creation, duplicate added", arguments: banditKinds)
    func armListErrors(_ kind: String) throws {
        let owner = ownerName(kind)
        #expect(throws: StatsError.invalidArgument("\(owner): arms must not be empty")) { _ = try makeBandit(kind, []) }
        #expect(throws: StatsError.invalidArgument("\(owner): duplicate arm \"b\"")) { _ = try makeBandit(kind, ["a", "b", "b"]) }
        let policy = try makeBandit(kind, ["a", "b"])
        #expect(throws: StatsError.invalidArgument("\(owner): duplicate arm \"a\"")) { try policy.addArm("a") }
        try policy.addArm("c")
        #expect(policy.arms == ["a", "b", "c"])
        #expect(policy.stats().map(\.name) == ["a", "b", "c"])
    }

    @Test("Update errors: unknown arm, NaN, infinity, out of [0, 1]; the state is unchanged",
          arguments: banditKinds)
    func updateErrors(_ kind: String) throws {
        let owner = ownerName(kind)
        let policy = try makeBandit(kind, ["a", "b", "c"])
        try policy.update(arm: "a", reward: 0.5)
        let before = policy.stats()
        #expect(throws: StatsError.invalidArgument("\(owner): unknown arm \"zz\"")) { try policy.update(arm: "zz", reward: 0.5) }
        #expect(throws: StatsError.invalidArgument("\(owner): reward must be finite, got nan")) { try policy.update(arm: "a", reward: .nan) }
        #expect(throws: StatsError.invalidArgument("\(owner): reward must be finite, got -inf")) { try policy.update(arm: "a", reward: -.infinity) }
        let unitOnly = ["KLUCB", "Thompson-beta", "SuccessiveElimination", "LUCB"].contains(kind)
        if unitOnly {
            #expect(throws: StatsError.invalidArgument("\(owner): reward must be in [0, 1], got 1.5")) { try policy.update(arm: "b", reward: 1.5) }
            #expect(throws: StatsError.invalidArgument("\(owner): reward must be in [0, 1], got -1")) { try policy.update(arm: "b", reward: -1) }
        }
        #expect(policy.totalPulls == 1)
        #expect(policy.stats() == before)
        if !unitOnly {
            try policy.update(arm: "b", reward: 1.5)
            #expect(policy.stats()[1].mean == 1.5)
        }
    }

    @Test("selectK rejects k <= 0 and k above the arm count", arguments: banditKinds)
    func selectKBounds(_ kind: String) throws {
        let owner = ownerName(kind)
        let policy = try makeBandit(kind, ["a", "b", "c"])
        #expect(throws: StatsError.invalidArgument("\(owner): k must be >= 1, got 0")) { _ = try policy.selectK(0) }
        #expect(throws: StatsError.invalidArgument("\(owner): k must be >= 1, got -2")) { _ = try policy.selectK(-2) }
        let what = kind == "SuccessiveElimination" ? "the active arms" : "the number of arms"
        #expect(throws: StatsError.invalidArgument("\(owner): k must be <= 3 (\(what)), got 4")) { _ = try policy.selectK(4) }
    }

    @Test("selectK returns k distinct arms, and selectK(1) chooses like select()", arguments: banditKinds)
    func selectKDistinct(_ kind: String) throws {
        let arms = armNames(6)
        let a = try makeBandit(kind, arms, seed: 11)
        let b = try makeBandit(kind, arms, seed: 11)
        var rng = SeededGenerator(seed: 99)
        for step in 0..<300 {
            // Identifiers choose among their active arms, and once done among the identified ones.
            var available = arms.count
            if let identifier = a as? any BestArmIdentifier {
                available = identifier.topK?.count ?? identifier.activeArms.count
            }
            let k = 1 + step % available
            let chosen = try a.selectK(k)
            #expect(chosen.count == k && Set(chosen).count == k && chosen.allSatisfy(arms.contains))
            #expect(try b.selectK(k) == chosen)  // same seed, same calls
            #expect(try a.selectK(1) == [b.select()])
            let arm = arms[step % 6]
            let reward = rng.nextDouble() < 0.1 * Double(step % 6 + 2) ? 1.0 : 0.0
            try a.update(arm: arm, reward: reward)
            try b.update(arm: arm, reward: reward)
        }
        #expect(a.stats() == b.stats())
        #expect(a.totalPulls == 300 && a.stats().map(\.pulls).reduce(0, +) == 300)
    }

    @Test("UCB-style policies pull unplayed arms first, in arm order, including added ones",
          arguments: ["UCB1", "UCBV", "KLUCB"])
    func unplayedFirst(_ kind: String) throws {
        let policy = try makeBandit(kind, ["a", "b", "c"])
        #expect(try policy.selectK(2) == ["a", "b"])
        #expect(policy.select() == "a")
        try policy.update(arm: "a", reward: 1)
        #expect(policy.select() == "b")
        try policy.update(arm: "c", reward: 1)  // out of order: b is still unplayed
        #expect(policy.select() == "b")
        #expect(try policy.selectK(2).first == "b")
        try policy.update(arm: "b", reward: 0)
        try policy.addArm("d")
        #expect(policy.select() == "d")
        #expect(policy.stats()[3].index == .infinity)
        try policy.update(arm: "d", reward: 0)
        #expect(policy.select() != "d")
    }

    @Test("Equal indices go to the arm earliest in arm order", arguments: ["UCB1", "UCBV", "KLUCB"])
    func indexTies(_ kind: String) throws {
        let policy = try makeBandit(kind, ["x", "y", "z"])
        for arm in ["z", "y", "x"] { try policy.update(arm: arm, reward: 0.5) }
        #expect(policy.select() == "x")
        #expect(try policy.selectK(3) == ["x", "y", "z"])
    }

    @Test("Randomized policies reproduce their choices from the seed and differ across seeds",
          arguments: ["Thompson-beta", "Thompson-gaussian", "EpsilonGreedy", "Softmax"])
    func reproducibleBySeed(_ kind: String) throws {
        func trace(_ seed: UInt64) throws -> [String] {
            let policy = try makeBandit(kind, armNames(5), seed: seed)
            var out: [String] = []
            for t in 0..<400 {
                let arm = policy.select()
                out.append(arm)
                // A fixed, policy-independent reward per step keeps the comparison about the policy.
                try policy.update(arm: arm, reward: Double((t * 7919) % 11) / 10)
            }
            return out
        }
        let first = try trace(42)
        #expect(try trace(42) == first)
        #expect(try trace(43) != first)
    }

    @Test("Beta-Thompson binarizes fractional rewards with a Bernoulli draw")
    func betaBinarization() throws {
        let ts = try Thompson(arms: ["a"], seed: 3)
        for _ in 0..<2000 { try ts.update(arm: "a", reward: 0.25) }
        let s = ts.stats()[0]
        #expect(s.mean == 0.25)
        // Posterior mean (1 + S)/2002 with S ~ Binomial(2000, 0.25): sd of S/2000 ≈ 0.0097.
        #expect(abs(try #require(s.index) - 0.25) < 0.05)
        #expect(s.index != 0.25)
    }

    @Test("Epsilon-greedy exploits the highest mean, not the highest sum")
    func epsilonGreedyUsesMeans() throws {
        let policy = try EpsilonGreedy(arms: ["many", "few"], epsilon: 0, seed: 1)
        for _ in 0..<10 { try policy.update(arm: "many", reward: 0.5) }
        try policy.update(arm: "few", reward: 0.9)
        for _ in 0..<50 { #expect(policy.select() == "few") }
    }

    @Test("Epsilon-greedy breaks ties at random")
    func epsilonGreedyTies() throws {
        let policy = try EpsilonGreedy(arms: ["a", "b", "c"], epsilon: 0, seed: 2)
        try policy.update(arm: "a", reward: 1)
        try policy.update(arm: "b", reward: 1)
        var countA = 0
        for _ in 0..<2000 {
            let arm = policy.select()
            #expect(arm != "c")
            if arm == "a" { countA += 1 }
        }
        // Binomial(2000, 1/2): sd ≈ 22.
        #expect(abs(countA - 1000) < 150)
    }

    @Test("Epsilon-greedy pulls each non-greedy arm a fraction ε/K of the time")
    func epsilonGreedyExploration() throws {
        let rewards = [1.0, 0.6, 0.3, 0.0]
        let epsilon = 0.1
        let policy = try EpsilonGreedy(arms: armNames(4), epsilon: epsilon, seed: 17)
        var counts = [0, 0, 0, 0]
        let horizon = 20_000
        for _ in 0..<horizon {
            let arm = policy.select()
            let i = Int(arm.dropFirst())!
            counts[i] += 1
            try policy.update(arm: arm, reward: rewards[i])
        }
        // Each non-greedy share is ≈ Binomial(20000, 0.025)/20000, sd ≈ 0.0011.
        for i in 1..<4 {
            let share = Double(counts[i]) / Double(horizon)
            #expect(abs(share - epsilon / 4) < 0.006, "arm \(i): \(share)")
        }
        #expect(abs(Double(counts[0]) / Double(horizon) - (1 - epsilon + epsilon / 4)) < 0.01)
    }

    @Test("Softmax selection frequencies match exp(μ/τ)/Σ")
    func softmaxFrequencies() throws {
        let policy = try Softmax(arms: ["a", "b", "c"], tau: 0.25, seed: 8)
        for (arm, r) in [("a", 0.1), ("b", 0.4), ("c", 0.6)] { try policy.update(arm: arm, reward: r) }
        let p = policy.stats().map { $0.probability! }
        var counts: [String: Int] = [:]
        let draws = 30_000
        for _ in 0..<draws { counts[policy.select(), default: 0] += 1 }
        for (i, arm) in ["a", "b", "c"].enumerated() {
            let share = Double(counts[arm, default: 0]) / Double(draws)
            let sd = (p[i] * (1 - p[i]) / Double(draws)).squareRoot()
            #expect(abs(share - p[i]) < 5 * sd, "\(arm): \(share) vs \(p[i])")
        }
    }

    @Test("Softmax and epsilon-greedy selectK follow their documented rules")
    func randomizedSelectKRules() throws {
        // ε = 0: greedy slot by slot, so the top-k by mean.
        let greedy = try EpsilonGreedy(arms: ["a", "b", "c", "d"], epsilon: 0, seed: 4)
        for (arm, r) in [("a", 0.2), ("b", 0.9), ("c", 0.5), ("d", 0.7)] { try greedy.update(arm: arm, reward: r) }
        #expect(try greedy.selectK(3) == ["b", "d", "c"])
        // ε = 1: uniform without replacement; every ordered pair appears.
        let uniform = try EpsilonGreedy(arms: ["a", "b", "c"], epsilon: 1, seed: 4)
        var pairs = Set<[String]>()
        for _ in 0..<300 { pairs.insert(try uniform.selectK(2)) }
        #expect(pairs.count == 6)
        // Softmax at a tiny temperature orders by mean.
        let cold = try Softmax(arms: ["a", "b", "c"], tau: 1e-3, seed: 4)
        for (arm, r) in [("a", 0.2), ("b", 0.9), ("c", 0.5)] { try cold.update(arm: arm, reward: r) }
        #expect(try cold.selectK(3) == ["b", "c", "a"])
    }
}
