// Null-distribution properties of the tests, with data simulated by SeededGenerator: continuous
// p-values are uniform (Kolmogorov–Smirnov at the 0.001 level), discrete ones super-uniform
// (P(p ≤ a) ≤ a, checked exactly by enumeration where the null distribution is finite, and by
// simulation within Monte Carlo error). Every check also bounds the size from below where the
// test is not conservative by design, so a p-value that is too large fails as well.

import Foundation
import Testing
import Stats

extension SeededGenerator {
    /// A standard normal draw (Box–Muller).
    mutating func normal() -> Double {
        let u1 = nextOpenDouble(), u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A Binomial(n, p) draw as a sum of Bernoulli draws.
    mutating func binomial(_ n: Int, _ p: Double) -> Int {
        var k = 0
        for _ in 0..<n where nextDouble() < p { k += 1 }
        return k
    }
}

/// The two-sided Kolmogorov–Smirnov distance of a sample of p-values from U(0, 1) and its
/// one-sided part D⁺ = sup(F̂(u) − u) (an excess of small p-values).
func uniformDistance(_ p: [Double]) -> (d: Double, dPlus: Double) {
    let s = p.sorted()
    let n = Double(s.count)
    var d = 0.0, dPlus = 0.0
    for (i, u) in s.enumerated() {
        let above = Double(i + 1) / n - u
        let below = u - Double(i) / n
        dPlus = max(dPlus, above)
        d = max(d, above, below)
    }
    return (d, dPlus)
}

@Suite("Null distributions of the p-values")
struct HypothesisPropertyTests {
    static let replicates = 2000
    /// The 0.001 critical values of the KS statistic for n = 2000: two-sided 1.9495/√n,
    /// one-sided √(−log(0.001)/(2n)).
    static let ksTwoSided = 1.9495 / Double(replicates).squareRoot()
    static let ksOneSided = (-log(0.001) / (2 * Double(replicates))).squareRoot()

    @Test("welchT p-values are uniform under the null (unequal variances and sizes)",
          arguments: [Alternative.twoSided, .greater, .less])
    func welchUniform(_ alternative: Alternative) throws {
        var g = SeededGenerator(seed: 101)
        var p: [Double] = []
        for _ in 0..<Self.replicates {
            let x = (0..<7).map { _ in 3 + 0.5 * g.normal() }
            let y = (0..<13).map { _ in 3 + 2.0 * g.normal() }
            p.append(try welchT(x, y, alternative: alternative).pvalue)
        }
        let ks = uniformDistance(p)
        #expect(ks.d < Self.ksTwoSided, "KS distance \(ks.d) ≥ \(Self.ksTwoSided)")
    }

    @Test("studentT is not valid under unequal variances with unequal sizes: the check can fail")
    func studentNotUniform() throws {
        // The same data as above. The pooled test is conservative when the smaller sample has the
        // smaller variance (here 7 values with SD 0.5 against 13 with SD 2): its p-values are
        // visibly non-uniform, which shows the KS check has the power to fail.
        var g = SeededGenerator(seed: 101)
        var p: [Double] = []
        for _ in 0..<Self.replicates {
            let x = (0..<7).map { _ in 3 + 0.5 * g.normal() }
            let y = (0..<13).map { _ in 3 + 2.0 * g.normal() }
            p.append(try studentT(x, y).pvalue)
        }
        #expect(uniformDistance(p).d > Self.ksTwoSided)
    }

    @Test("mannWhitney asymptotic p-values are super-uniform and close to uniform under the null",
          arguments: [Alternative.twoSided, .greater])
    func mannWhitneyUniform(_ alternative: Alternative) throws {
        var g = SeededGenerator(seed: 202)
        var p: [Double] = []
        for _ in 0..<Self.replicates {
            let x = (0..<15).map { _ in g.normal() }
            let y = (0..<20).map { _ in g.normal() }
            p.append(try mannWhitney(x, y, alternative: alternative, method: .asymptotic).pvalue)
        }
        let ks = uniformDistance(p)
        #expect(ks.dPlus < Self.ksOneSided, "D+ \(ks.dPlus)")
        // Not far from uniform either (the continuity correction makes it slightly conservative).
        #expect(ks.d < 0.08, "KS distance \(ks.d)")
        let size = Double(p.filter { $0 <= 0.05 }.count) / Double(p.count)
        #expect(size > 0.03 && size < 0.05 + 3 * (0.05 * 0.95 / Double(p.count)).squareRoot())
    }

    @Test("twoProportionZ has about its nominal size for 200 + 200 trials")
    func twoProportionSize() throws {
        var g = SeededGenerator(seed: 303)
        var p: [Double] = []
        for _ in 0..<Self.replicates {
            p.append(try twoProportionZ(k1: g.binomial(200, 0.3), n1: 200, k2: g.binomial(200, 0.3), n2: 200).pvalue)
        }
        for a in [0.01, 0.05, 0.1] {
            let size = Double(p.filter { $0 <= a }.count) / Double(p.count)
            let sd = (a * (1 - a) / Double(p.count)).squareRoot()
            #expect(size <= a + 4 * sd + 0.005 && size >= a - 4 * sd - 0.005, "size \(size) at \(a)")
        }
    }

    @Test("binomTest is exactly super-uniform: Σ P(k)·[p(k) ≤ a] ≤ a for every a", arguments: [
        (20, 0.5), (30, 0.1), (57, 0.37), (200, 0.1), (10, 0.95),
    ])
    func binomialExactSize(_ n: Int, _ p0: Double) throws {
        let dist = try Binomial(n: n, p: p0)
        for alternative in Alternative.allCases {
            let pvalues = try (0...n).map { try binomTest(k: $0, n: n, p: p0, alternative: alternative).pvalue }
            // Every attainable p-value is a level at which the size must not exceed it.
            for a in Set(pvalues) + [0.01, 0.05] {
                var size = 0.0
                for k in 0...n where pvalues[k] <= a { size += dist.pmf(Double(k)) }
                #expect(size <= a * (1 + 1e-9), "n=\(n) p=\(p0) \(alternative): size \(size) > \(a)")
            }
            // The p-value of the most likely outcome is not small, and a one-sided p-value is the
            // tail probability itself (so size = a exactly at attainable levels).
            if alternative == .greater {
                for k in 0...n { #expect(abs(pvalues[k] - dist.sf(Double(k) - 1)) <= 1e-12 * pvalues[k]) }
            }
        }
    }

    @Test("binomTest p-values of simulated null data are super-uniform")
    func binomialSimulated() throws {
        var g = SeededGenerator(seed: 404)
        var p: [Double] = []
        for _ in 0..<Self.replicates { p.append(try binomTest(k: g.binomial(60, 0.2), n: 60, p: 0.2).pvalue) }
        #expect(uniformDistance(p).dPlus < Self.ksOneSided)
        let size = Double(p.filter { $0 <= 0.05 }.count) / Double(p.count)
        #expect(size <= 0.05 + 3 * (0.05 * 0.95 / Double(p.count)).squareRoot())
        #expect(size > 0.02)  // the two-sided minimum-likelihood test is not grossly conservative
    }

    @Test("fisherExact is exactly super-uniform given the margins", arguments: [
        (10, 12, 9), (30, 25, 20), (5, 40, 12), (100, 100, 37),
    ])
    func fisherExactSize(_ row0: Int, _ row1: Int, _ column0: Int) throws {
        let dist = try Hypergeometric(population: row0 + row1, successes: row0, draws: column0)
        for alternative in Alternative.allCases {
            var pvalues: [Int: Double] = [:]
            for a in dist.support {
                let table = [[a, row0 - a], [column0 - a, row1 - column0 + a]]
                pvalues[a] = try fisherExact(table, alternative: alternative).pvalue
            }
            for level in Set(pvalues.values) + [0.01, 0.05] {
                var size = 0.0
                for (a, p) in pvalues where p <= level { size += dist.pmf(Double(a)) }
                #expect(size <= level * (1 + 1e-9), "\(alternative): size \(size) > \(level)")
            }
        }
    }

    @Test("fisherExact p-values of simulated null 2×2 tables are super-uniform")
    func fisherSimulated() throws {
        var g = SeededGenerator(seed: 505)
        var p: [Double] = []
        for _ in 0..<Self.replicates {
            let a = g.binomial(40, 0.25), c = g.binomial(35, 0.25)
            p.append(try fisherExact([[a, 40 - a], [c, 35 - c]]).pvalue)
        }
        #expect(uniformDistance(p).dPlus < Self.ksOneSided)
        let size = Double(p.filter { $0 <= 0.05 }.count) / Double(p.count)
        #expect(size <= 0.05 + 3 * (0.05 * 0.95 / Double(p.count)).squareRoot() && size > 0.01)
    }

    @Test("permutationTest p-values are super-uniform under the null and never 0")
    func permutationNull() throws {
        var g = SeededGenerator(seed: 606)
        var p: [Double] = []
        for i in 0..<400 {
            let x = (0..<10).map { _ in g.normal() }
            let y = (0..<12).map { _ in g.normal() }
            p.append(try permutationTest(x, y, resamples: 199, seed: UInt64(i)).pvalue)
        }
        #expect(p.allSatisfy { $0 >= 1.0 / 200 })
        let size = Double(p.filter { $0 <= 0.05 }.count) / Double(p.count)
        #expect(size <= 0.05 + 3 * (0.05 * 0.95 / Double(p.count)).squareRoot())
        #expect(uniformDistance(p).dPlus < (-log(0.001) / (2 * Double(p.count))).squareRoot())
    }

    @Test("combinePValues of independent uniform p-values is uniform (Fisher and Stouffer)")
    func combineUniform() throws {
        var g = SeededGenerator(seed: 707)
        var fisher: [Double] = [], stouffer: [Double] = []
        for _ in 0..<Self.replicates {
            let p = (0..<5).map { _ in g.nextOpenDouble() }
            fisher.append(try combinePValues(p).pvalue)
            stouffer.append(try combinePValues(p, method: .stouffer, weights: [1, 2, 3, 4, 5]).pvalue)
        }
        #expect(uniformDistance(fisher).d < Self.ksTwoSided)
        #expect(uniformDistance(stouffer).d < Self.ksTwoSided)
    }
}
