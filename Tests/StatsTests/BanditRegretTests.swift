// Seeded regret properties on Bernoulli arms: the UCB1 bound of Auer et al. (2002), sublinear
// growth, convergence to the best arm, and the ordering TS ≲ KL-UCB < UCB1 of the notes (§2.3).

import Foundation
import Stats
import Testing

/// The Bernoulli problem of the regret tests and its horizon.
private let regretMeans = [0.9, 0.8, 0.5, 0.3]
private let horizon = 10_000
private let seeds: [UInt64] = Array(1...20)

/// Regret and optimal-pull fractions of one policy, averaged over the seeds.
struct RegretSummary: Sendable {
    var regret1k = 0.0
    var regretT = 0.0
    var lastQuarterOptimal = 0.0
}

private func summarize(_ make: (UInt64) throws -> any BanditPolicy) throws -> RegretSummary {
    var s = RegretSummary()
    for seed in seeds {
        let run = try simulate(try make(seed), means: regretMeans, horizon: horizon, rewardSeed: 1000 + seed,
                               checkpoints: [1000])
        s.regret1k += run.regretAt[1000]! / Double(seeds.count)
        s.regretT += run.regretAt[horizon]! / Double(seeds.count)
        s.lastQuarterOptimal += run.lastQuarterOptimal / Double(seeds.count)
    }
    return s
}

/// Each policy's runs, made once and shared by the tests below.
private enum RegretRuns {
    static let ucb1 = Result { try summarize { _ in try UCB1(arms: armNames(4)) } }
    static let klucb = Result { try summarize { _ in try KLUCB(arms: armNames(4)) } }
    static let thompson = Result { try summarize { try Thompson(arms: armNames(4), seed: $0) } }
    static let ucbv = Result { try summarize { _ in try UCBV(arms: armNames(4)) } }
    static let gaussian = Result {
        try summarize { try Thompson(arms: armNames(4), prior: .gaussian(), seed: $0) }
    }
    static let epsilonGreedy = Result { try summarize { try EpsilonGreedy(arms: armNames(4), seed: $0) } }

    static func summary(_ kind: String) throws -> RegretSummary {
        switch kind {
        case "UCB1": return try ucb1.get()
        case "KLUCB": return try klucb.get()
        case "Thompson-beta": return try thompson.get()
        case "UCBV": return try ucbv.get()
        case "Thompson-gaussian": return try gaussian.get()
        case "EpsilonGreedy": return try epsilonGreedy.get()
        default: fatalError("no regret runs for \(kind)")
        }
    }
}

@Suite("Bandit regret on Bernoulli arms 0.9/0.8/0.5/0.3")
struct BanditRegretTests {
    @Test("UCB1's mean regret at T = 10^4 is under Auer et al.'s bound Σ 8 ln T/Δ + (1 + π²/3) Σ Δ")
    func ucb1UnderAuerBound() throws {
        let gaps = regretMeans.map { regretMeans.max()! - $0 }.filter { $0 > 0 }
        let logT = log(Double(horizon))
        let bound = gaps.map { 8 * logT / $0 }.reduce(0, +) + (1 + Double.pi * Double.pi / 3) * gaps.reduce(0, +)
        let s = try RegretRuns.summary("UCB1")
        #expect(s.regretT < bound, "regret \(s.regretT), bound \(bound)")
        #expect(s.regretT > 0)
    }

    @Test("Regret grows sublinearly: R(10^4)/R(10^3) < 4 (linear growth gives 10)",
          arguments: ["UCB1", "KLUCB", "Thompson-beta", "Thompson-gaussian", "UCBV"])
    func sublinearRegret(_ kind: String) throws {
        let s = try RegretRuns.summary(kind)
        #expect(s.regret1k > 0)
        #expect(s.regretT / s.regret1k < 4, "\(kind): R(1000) = \(s.regret1k), R(10000) = \(s.regretT)")
    }

    @Test("The best arm gets over 90% of the pulls in the last quarter",
          arguments: ["UCB1", "KLUCB", "Thompson-beta", "Thompson-gaussian", "UCBV"])
    func convergesToBestArm(_ kind: String) throws {
        let s = try RegretRuns.summary(kind)
        #expect(s.lastQuarterOptimal > 0.9, "\(kind): \(s.lastQuarterOptimal)")
    }

    @Test("Thompson sampling and KL-UCB have less regret than UCB1")
    func ordering() throws {
        let ucb1 = try RegretRuns.summary("UCB1").regretT
        let klucb = try RegretRuns.summary("KLUCB").regretT
        let ts = try RegretRuns.summary("Thompson-beta").regretT
        #expect(klucb < ucb1, "KL-UCB \(klucb) vs UCB1 \(ucb1)")
        #expect(ts < ucb1, "TS \(ts) vs UCB1 \(ucb1)")
    }

    @Test("Epsilon-greedy's regret grows linearly at about ε·ΣΔ/K per step once it has converged")
    func epsilonGreedyLinearRegret() throws {
        let s = try RegretRuns.summary("EpsilonGreedy")
        let gaps = regretMeans.map { regretMeans.max()! - $0 }.reduce(0, +)
        let expected = 0.1 * gaps / Double(regretMeans.count)  // 0.0275 per step
        let slope = (s.regretT - s.regret1k) / Double(horizon - 1000)
        #expect(abs(slope / expected - 1) < 0.15, "slope \(slope), expected \(expected)")
        #expect(s.regretT / s.regret1k > 4)  // the sublinearity test above would catch it
    }
}
