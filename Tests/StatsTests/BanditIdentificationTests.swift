// Best-arm identification: successive elimination and LUCB1 find the best arm(s) with probability
// at least 1 − δ and stop; the finished-identifier behaviour and the elimination bookkeeping.

import Stats
import Testing

private let means = [0.5, 0.9, 0.6, 0.3]  // best: a1; top 2: a1, a2

@Suite("Best-arm identification")
struct BanditIdentificationTests {
    @Test("Successive elimination stops and names the best arm in at least 1 − δ of 40 runs")
    func successiveEliminationFindsBest() throws {
        let delta = 0.1
        var correct = 0
        for seed in UInt64(1)...40 {
            let se = try SuccessiveElimination(arms: armNames(4), delta: delta)
            let (answer, pulls) = try identify(se, means: means, rewardSeed: seed, budget: 50_000)
            #expect(se.isDone, "seed \(seed) did not stop after \(pulls) pulls")
            if answer == ["a1"] { correct += 1 }
            #expect(se.best == answer?.first)
            #expect(se.activeArms.count == 1 && se.eliminatedArms.count == 3)
        }
        #expect(Double(correct) >= (1 - delta) * 40, "correct in \(correct) of 40")
    }

    @Test("LUCB stops and names the best arm in at least 1 − δ of 40 runs")
    func lucbFindsBest() throws {
        let delta = 0.1
        var correct = 0
        for seed in UInt64(1)...40 {
            let lucb = try LUCB(arms: armNames(4), delta: delta)
            let (answer, pulls) = try identify(lucb, means: means, rewardSeed: seed, budget: 50_000)
            #expect(lucb.isDone, "seed \(seed) did not stop after \(pulls) pulls")
            if answer == ["a1"] { correct += 1 }
        }
        #expect(Double(correct) >= (1 - delta) * 40, "correct in \(correct) of 40")
    }

    @Test("LUCB with k = 2 identifies the top two arms in at least 1 − δ of 30 runs")
    func lucbTopTwo() throws {
        let delta = 0.1
        var correct = 0
        for seed in UInt64(1)...30 {
            let lucb = try LUCB(arms: armNames(4), delta: delta, k: 2)
            let (answer, _) = try identify(lucb, means: [0.5, 0.9, 0.8, 0.2], rewardSeed: seed, budget: 100_000)
            #expect(lucb.isDone)
            if answer == ["a1", "a2"] { correct += 1 }
        }
        #expect(Double(correct) >= (1 - delta) * 30, "correct in \(correct) of 30")
    }

    @Test("With ε > 0 both identifiers stop on two equal arms and return one of them")
    func epsilonStopsOnTies() throws {
        let tied = [0.7, 0.7, 0.2]
        let se = try SuccessiveElimination(arms: armNames(3), delta: 0.05, epsilon: 0.2)
        let (seAnswer, _) = try identify(se, means: tied, rewardSeed: 5, budget: 100_000)
        #expect(se.isDone)
        #expect(seAnswer == ["a0"] || seAnswer == ["a1"])
        let lucb = try LUCB(arms: armNames(3), delta: 0.05, epsilon: 0.2)
        let (lucbAnswer, _) = try identify(lucb, means: tied, rewardSeed: 5, budget: 100_000)
        #expect(lucb.isDone)
        #expect(lucbAnswer == ["a0"] || lucbAnswer == ["a1"])
    }

    @Test("A finished identifier keeps returning its answer; adding an arm reopens it")
    func finishedBehaviour() throws {
        let se = try SuccessiveElimination(arms: ["good", "bad"], delta: 0.05)
        while !se.isDone {
            let arm = se.select()
            try se.update(arm: arm, reward: arm == "good" ? 1 : 0)
        }
        #expect(se.best == "good" && se.topK == ["good"] && se.eliminatedArms == ["bad"])
        #expect(se.select() == "good")
        #expect(try se.selectK(1) == ["good"])
        #expect(throws: StatsError.invalidArgument("SuccessiveElimination: k must be <= 1 (the identified arms), got 2")) { _ = try se.selectK(2) }
        try se.update(arm: "bad", reward: 1)  // recorded, but the answer is frozen
        #expect(se.best == "good" && se.stats()[1].isActive == false)
        try se.addArm("new")
        #expect(!se.isDone && se.best == nil && se.activeArms == ["good", "new"])
        #expect(se.select() == "new")

        let lucb = try LUCB(arms: ["x", "y", "z"], delta: 0.05, k: 2)
        while !lucb.isDone {
            let arm = lucb.select()
            try lucb.update(arm: arm, reward: arm == "z" ? 0 : 1)
        }
        #expect(lucb.topK == ["x", "y"] && lucb.best == "x" && lucb.eliminatedArms.isEmpty)
        #expect(lucb.select() == "x")
        #expect(try lucb.selectK(2) == ["x", "y"])
        #expect(throws: StatsError.invalidArgument("LUCB: k must be <= 2 (the identified arms), got 3")) { _ = try lucb.selectK(3) }
        try lucb.addArm("w")
        #expect(!lucb.isDone && lucb.select() == "w")
    }

    @Test("Trivial searches: one arm for successive elimination, k = K for LUCB")
    func trivialSearches() throws {
        let se = try SuccessiveElimination(arms: ["only"])
        #expect(se.isDone && se.best == "only")
        let lucb = try LUCB(arms: ["a", "b"], k: 2)
        #expect(lucb.isDone && lucb.topK == ["a", "b"])
    }

    @Test("Successive elimination samples active arms round-robin and reports intervals")
    func roundRobinAndIntervals() throws {
        let se = try SuccessiveElimination(arms: ["a", "b", "c"], delta: 0.05)
        #expect(try se.selectK(3) == ["a", "b", "c"])
        try se.update(arm: "a", reward: 1)
        try se.update(arm: "c", reward: 0)
        #expect(se.select() == "b")
        #expect(try se.selectK(3) == ["b", "a", "c"])
        let s = se.stats()
        let r = SuccessiveElimination.radius(pulls: 1, arms: 3, delta: 0.05)
        #expect(s[0].lowerBound == 1 - r && s[0].upperBound == 1 + r)
        #expect(s[1].lowerBound == -.infinity && s[1].upperBound == .infinity)
        #expect(s.allSatisfy { $0.isActive && $0.index == nil && $0.probability == nil })
    }

    @Test("LUCB samples the less-pulled of h* and l*, and selectK(2) is the LUCB1 pair")
    func lucbPair() throws {
        let lucb = try LUCB(arms: ["a", "b", "c"], delta: 0.1)
        for _ in 0..<4 { try lucb.update(arm: "a", reward: 1) }  // leader, 4 pulls: h* = a
        try lucb.update(arm: "b", reward: 0)
        try lucb.update(arm: "c", reward: 0)
        try lucb.update(arm: "c", reward: 0)  // b has the widest upper bound: l* = b
        #expect(try lucb.selectK(2) == ["b", "a"])
        #expect(lucb.select() == "b")
        #expect(try lucb.selectK(3) == ["b", "a", "c"])
    }
}
