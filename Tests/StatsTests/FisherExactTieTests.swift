import Foundation
@testable import Stats
import Testing

@Suite("Fisher exact: exact ties in the two-sided sum")
struct FisherExactTieTests {
    /// Symmetric margins make the mirror table exactly as probable as the observed one; scipy
    /// 1.17.1 (and 50-digit mpmath) include it, doubling the one-sided tail. These tables were
    /// found by the Scripts/bench/stats.sh comparison, where exp(log-pmf) split the tie.
    @Test("mirror tables of symmetric margins are counted, as scipy does",
          arguments: [([[133, 8], [19, 144]], 1.2710533877267804e-53),
                      ([[32, 187], [178, 23]], 5.251261326823211e-57),
                      ([[84, 340], [357, 101]], 2.1460763692596428e-70)])
    func symmetricTies(table: [[Int]], scipy: Double) throws {
        let p = try fisherExact(table).pvalue
        #expect(abs(p - scipy) <= 1e-10 * scipy, "p \(p) vs scipy \(scipy)")
    }

    @Test("the prime-product pmf agrees with the log-space pmf and gives equal probabilities equal bits")
    func primeProduct() throws {
        var g = SeededGenerator(seed: 5)
        for _ in 0..<300 {
            let nn = 1 + g.nextInt(below: 2000), kk = g.nextInt(below: nn + 1), n = g.nextInt(below: nn + 1)
            let d = try Hypergeometric(population: nn, successes: kk, draws: n)
            let lo = max(0, n - (nn - kk)), hi = min(n, kk)
            let k = lo + g.nextInt(below: hi - lo + 1)
            let exact = try #require(HypergeometricPrimeProduct.pmf(population: nn, successes: kk, draws: n, k: k))
            let reference = d.pmf(Double(k))
            if reference > 1e-290 {
                #expect(abs(exact - reference) <= 1e-12 * reference, "N \(nn) K \(kk) n \(n) k \(k)")
            }
            // Symmetry P(X = k | N, K, n) = P(X = K - k | N, K, N - K... ) in its simplest form:
            // swapping the roles of successes and draws leaves the probability unchanged.
            let swapped = try #require(HypergeometricPrimeProduct.pmf(population: nn, successes: n, draws: kk, k: k))
            #expect(swapped == exact)
        }
        #expect(HypergeometricPrimeProduct.pmf(population: HypergeometricPrimeProduct.limit + 1, successes: 1, draws: 1, k: 0) == nil)
    }
}
