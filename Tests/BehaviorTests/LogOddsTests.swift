import Foundation
import Stats
import Testing
@testable import Behavior

@Suite struct LogOddsTests {
    @Test func wordsAndNGrams() {
        #expect(LogOdds.words("Don't STOP—me now, 2nd time!") == ["don't", "stop", "me", "now", "2nd", "time"])
        #expect(LogOdds.ngrams("a b c", nMax: 2) == ["a", "b", "c", "a b", "b c"])
        #expect(LogOdds.ngrams("a", nMax: 3) == ["a"])
    }

    @Test func handComputedExample() throws {
        // A: good ×2, bad ×1 (n^A = 3); B: good ×1, bad ×2 (n^B = 3). Background = A ∪ B: good 3, bad 3,
        // total 6, |V| = 2, so α₀ = 6 and α_good = 6·(3 + 0.01)/(6 + 0.02) = 3 = α_bad.
        // δ_good = log[(2 + 3)/(3 + 6 − 2 − 3)] − log[(1 + 3)/(3 + 6 − 1 − 3)] = log(5/4) − log(4/5)
        // σ²_good = 1/(2 + 3) + 1/(1 + 3) = 0.45; z = δ/σ; bad is the mirror image.
        var o = LogOddsOptions()
        o.ngramMax = 1
        o.minCount = 1
        let r = try LogOdds.compare(["Good good bad"], ["bad, BAD good"], o)
        let delta = log(5.0 / 4) - log(4.0 / 5), z = delta / 0.45.squareRoot()
        #expect(r.a.count == 1 && r.b.count == 1)
        let g = r.a[0], b = r.b[0]
        #expect(g.ngram == "good" && b.ngram == "bad")
        #expect(abs(g.delta - delta) < 1e-12 && abs(g.z - z) < 1e-12)
        #expect(abs(b.delta + delta) < 1e-12 && abs(b.z + z) < 1e-12)
        #expect((g.countA, g.countB, g.docsA, g.docsB) == (2, 1, 1, 1))

        // An explicit prior mass: α_w = 12·3.01/6.02 = 6.
        o.priorMass = 12
        let r2 = try LogOdds.compare(["Good good bad"], ["bad, BAD good"], o)
        let d2 = log(8.0 / 7) - log(7.0 / 8)
        #expect(abs(r2.a[0].delta - d2) < 1e-12 && abs(r2.a[0].z - d2 / (1.0 / 8 + 1.0 / 7).squareRoot()) < 1e-12)
    }

    @Test func plantedWordRanksFirst() throws {
        var g = SeededGenerator(seed: 5)
        let vocab = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far", "away", "home", "it", "was", "a", "day"]
        func text() -> [String] { (0..<12).map { _ in vocab[g.nextInt(below: vocab.count)] } }
        var a: [String] = [], b: [String] = []
        for i in 0..<100 {
            var w = text()
            if i % 2 == 0 { w.insert(contentsOf: ["purple", "banana"], at: 3) }
            a.append(w.joined(separator: " "))
            var v = text()
            if i % 4 == 0 { v.append("Zebra") }
            b.append(v.joined(separator: " "))
        }
        let r = try LogOdds.compare(a, b)
        #expect(Set(r.a.prefix(3).map(\.ngram)) == ["purple", "banana", "purple banana"])
        let top = r.a.first { $0.ngram == "purple banana" }!
        #expect((top.countA, top.countB, top.docsA, top.docsB) == (50, 0, 50, 0))
        #expect(r.b.first?.ngram == "zebra" && r.b.first!.docsB == 25)
        #expect(r.a.count == 20 && r.a.allSatisfy { $0.z > 0 } && r.b.allSatisfy { $0.z < 0 })
        #expect(zip(r.a, r.a.dropFirst()).allSatisfy { $0.z >= $1.z })
        #expect(r.a.allSatisfy { $0.countA + $0.countB >= 3 })
    }

    @Test func badInputs() {
        #expect(throws: BehaviorError.self) { try LogOdds.compare([], ["x"]) }
        #expect(throws: BehaviorError.self) { try LogOdds.compare(["..."], ["x"]) }
        var o = LogOddsOptions()
        o.priorMass = -1
        #expect(throws: BehaviorError.self) { try LogOdds.compare(["a"], ["b"], o) }
    }
}
