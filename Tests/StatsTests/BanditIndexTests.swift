// Golden values of the bandit indices and posteriors: MABWiser's UCB1 tests, the KL-UCB values of
// the statistics notes, and 40-digit mpmath values printed by Scripts/dev/bandit_golden.py.

import Foundation
import Stats
import Testing

@Suite("Bandit indices")
struct BanditIndexTests {
    @Test("UCB1 index equals MABWiser's _get_ucb(mean=20, alpha, total=500, arm_count=150)",
          arguments: [(1.0, 20.287856633260894), (0.25, 20.07196415831522), (3.33, 20.95856258875877)])
    func ucb1MatchesMABWiser(_ alpha: Double, _ expected: Double) {
        let value = UCB1.index(mean: 20, pulls: 150, totalPulls: 500, c: alpha)
        #expect(abs(value - expected) <= 1e-12, "alpha \(alpha): \(value)")
    }

    @Test("UCB1 index is +inf for an unplayed arm and the mean for c = 0")
    func ucb1Limits() {
        #expect(UCB1.index(mean: 0.3, pulls: 0, totalPulls: 10) == .infinity)
        #expect(UCB1.index(mean: 0.3, pulls: 4, totalPulls: 10, c: 0) == 0.3)
    }

    @Test("KL-UCB index matches the golden values of the notes (10 digits) and mpmath (1e-13)",
          arguments: [(0.3, 10, 100, 0.0, 0.7560227380, 0.75602273804207155156),
                      (0.3, 10, 100, 3.0, 0.8812673988, 0.88126739875822424044),
                      (0.0, 5, 50, 0.0, 0.5426949481, 0.5426949480726736536)])
    func klucbGolden(_ mean: Double, _ pulls: Int, _ total: Int, _ c: Double, _ notes: Double, _ mpmath: Double) {
        let value = KLUCB.index(mean: mean, pulls: pulls, totalPulls: total, c: c)
        #expect(abs(value - notes) <= 5e-11, "\(value)")
        #expect(abs(value - mpmath) <= 1e-13, "\(value)")
    }

    @Test("KL-UCB index solves n·kl(mean, U) = ln t + c ln ln t to 1e-12 and lies in [mean, 1]")
    func klucbSolvesItsEquation() {
        for mean in [0.001, 0.05, 0.3, 0.5, 0.77, 0.999] {
            for pulls in [1, 3, 40, 2000] {
                for (total, c) in [(5, 0.0), (100, 3.0), (100_000, 0.0), (100_000, 3.0)] where total >= pulls {
                    let u = KLUCB.index(mean: mean, pulls: pulls, totalPulls: total, c: c)
                    let level = log(Double(total)) + c * log(log(Double(total)))
                    #expect(u >= mean && u <= 1)
                    if u < 1 - 1e-9 {
                        // kl is steep near the root only when U is near 1; compare in q.
                        let kl = { (q: Double) in Double(pulls) * KLUCB.bernoulliKL(mean, q) - level }
                        #expect(kl(u - 1e-12) <= 0 && kl(u + 1e-12) >= 0,
                                "mean \(mean), n \(pulls), t \(total), c \(c): U = \(u)")
                    }
                }
            }
        }
        #expect(KLUCB.index(mean: 1, pulls: 3, totalPulls: 10) == 1)
        #expect(KLUCB.index(mean: 0.4, pulls: 3, totalPulls: 1) == 0.4)  // ln 1 = 0
        #expect(KLUCB.index(mean: 0.4, pulls: 0, totalPulls: 10) == .infinity)
    }

    @Test("Bernoulli KL divergence: closed form, zero at p = q, infinite at the edge")
    func bernoulliKL() {
        #expect(abs(KLUCB.bernoulliKL(0.3, 0.6) - (0.3 * log(0.5) + 0.7 * log(0.7 / 0.4))) <= 1e-15)
        #expect(KLUCB.bernoulliKL(0.42, 0.42) == 0)
        #expect(KLUCB.bernoulliKL(0.5, 1) == .infinity)
        #expect(abs(KLUCB.bernoulliKL(0, 0.5) - log(2)) <= 1e-15)
    }

    @Test("UCB-V index matches mpmath (Scripts/dev/bandit_golden.py)")
    func ucbvIndex() {
        let a = UCBV.index(mean: 0.5, variance: 0.25, pulls: 10, totalPulls: 100)
        #expect(abs(a - 2.6835134439314063) <= 1e-13)
        let b = UCBV.index(mean: 0.7, variance: 0.21, pulls: 40, totalPulls: 1000, zeta: 1.2, c: 0.5, b: 2)
        #expect(abs(b - 1.616719527736628) <= 1e-13)
        #expect(UCBV.index(mean: 0.5, variance: 0.25, pulls: 0, totalPulls: 100) == .infinity)
    }

    @Test("The identifiers' radii match mpmath (Scripts/dev/bandit_golden.py)")
    func identifierRadii() {
        let se = SuccessiveElimination.radius(pulls: 5, arms: 3, delta: 0.05)
        #expect(abs(se - 0.9327118927198361) <= 1e-14)
        let lucb = LUCB.radius(pulls: 9, totalPulls: 37, arms: 4, delta: 0.1)
        #expect(abs(lucb - 1.009832072288508) <= 1e-14)
        #expect(SuccessiveElimination.radius(pulls: 0, arms: 3, delta: 0.05) == .infinity)
        #expect(LUCB.radius(pulls: 0, totalPulls: 37, arms: 4, delta: 0.1) == .infinity)
    }

    @Test("Policy stats report the same indices as the static functions")
    func statsUseTheIndex() throws {
        let ucb = try UCB1(arms: ["a", "b"], c: 0.5)
        let kl = try KLUCB(arms: ["a", "b"], c: 3)
        let v = try UCBV(arms: ["a", "b"])
        let rewards = [1.0, 0, 0, 1, 0, 0, 1, 0, 0, 0]  // mean 0.3
        for r in rewards {
            for p in [ucb, kl, v] as [any BanditPolicy] { try p.update(arm: "a", reward: r) }
        }
        for _ in 0..<90 {
            for p in [ucb, kl, v] as [any BanditPolicy] { try p.update(arm: "b", reward: 0.5) }
        }
        let ucbA = try #require(ucb.stats().first)
        #expect(ucbA.pulls == 10 && abs(ucbA.mean - 0.3) <= 1e-15 && abs(ucbA.variance - 0.21) <= 1e-15)
        #expect(ucbA.index == UCB1.index(mean: ucbA.mean, pulls: 10, totalPulls: 100, c: 0.5))
        let klA = try #require(kl.stats().first?.index)
        #expect(abs(klA - 0.8812673988) <= 1e-10)
        let vA = try #require(v.stats().first)
        #expect(vA.index == UCBV.index(mean: vA.mean, variance: vA.variance, pulls: 10, totalPulls: 100))
        #expect(ucb.stats()[1].variance == 0)
    }

    @Test("Beta-Thompson posterior after 7 successes and 3 failures is Beta(8, 4)")
    func betaPosterior() throws {
        let ts = try Thompson(arms: ["a", "b"], seed: 1)
        for r in [1.0, 1, 0, 1, 1, 0, 1, 1, 0, 1] { try ts.update(arm: "a", reward: r) }
        let s = ts.stats()
        #expect(s[0].index == 8.0 / 12.0)
        #expect(s[1].index == 0.5)
        #expect(s[0].pulls == 10 && s[0].mean == 0.7)
    }

    @Test("Gaussian-Thompson posterior mean is (prior mean + Σr)/(n + 1)")
    func gaussianPosterior() throws {
        let ts = try Thompson(arms: ["a", "b"], prior: .gaussian(mean: 1, sigma: 2), seed: 1)
        for r in [1.0, 2, 3] { try ts.update(arm: "a", reward: r) }
        let s = ts.stats()
        #expect(abs(try #require(s[0].index) - 7.0 / 4.0) <= 1e-15)
        #expect(s[1].index == 1)
    }

    @Test("Softmax probabilities equal exp(μ/τ)/Σ exp(μ/τ) and survive extreme means")
    func softmaxProbabilities() throws {
        let means = [0.2, 0.5, 0.9]
        let tau = 0.3
        let p = Softmax.probabilities(means: means, tau: tau)
        let z = means.map { exp($0 / tau) }.reduce(0, +)
        for (pi, m) in zip(p, means) { #expect(abs(pi - exp(m / tau) / z) <= 1e-15) }
        let extreme = Softmax.probabilities(means: [1000, 999, -1000], tau: 0.01)
        #expect(extreme.allSatisfy { $0.isFinite })
        #expect(extreme[0] == 1 && extreme[2] == 0)

        let policy = try Softmax(arms: ["a", "b", "c"], tau: tau, seed: 3)
        for (name, m) in zip(["a", "b", "c"], means) {
            try policy.update(arm: name, reward: m + 0.1)
            try policy.update(arm: name, reward: m - 0.1)
        }
        let reported = policy.stats().map { try! #require($0.probability) }
        for (r, q) in zip(reported, p) { #expect(abs(r - q) <= 1e-14) }
    }

    @Test("Epsilon-greedy reports ε/K plus the greedy share, split over ties")
    func epsilonGreedyProbabilities() throws {
        let policy = try EpsilonGreedy(arms: ["a", "b", "c", "d"], epsilon: 0.2, seed: 5)
        try policy.update(arm: "b", reward: 1)
        try policy.update(arm: "c", reward: 1)
        try policy.update(arm: "d", reward: -1)
        let p = policy.stats().map { $0.probability! }
        #expect(abs(p[0] - 0.05) <= 1e-15 && abs(p[3] - 0.05) <= 1e-15)
        #expect(abs(p[1] - 0.45) <= 1e-15 && abs(p[2] - 0.45) <= 1e-15)
        #expect(abs(p.reduce(0, +) - 1) <= 1e-15)
    }
}
