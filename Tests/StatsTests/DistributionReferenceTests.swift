// Every distribution function against the mpmath references of Tests/Fixtures/stats.
//
// The bound is 1e-12 relative everywhere, with two documented exceptions where double precision
// cannot reach it (both measured, not guessed):
// * quantiles with a large condition number (see `quantileTolerance`): the only fixture case that
//   needs it is Beta(0.001, 1000).ppf(0.5), 1.2e-12 at cond = 1000;
// * log-densities whose value is near 0 (|log f| < 1, e.g. log f = −1.4e-8 for F(2, 5) at 1e-8):
//   they are differences of logarithms of order 1, so their absolute error (the relative error
//   of the density) is compared with 1e-12 (see `StatsFixtures.compareDistributions`).
// References below the smallest normal double must come out below it too (underflow); NaN and
// infinite references must match exactly.

import Foundation
import Testing
import TestSupport
import Stats

@Suite("Distributions against mpmath (60 digits)")
struct DistributionReferenceTests {
    /// The default relative tolerance.
    static let tolerance = 1e-12

    /// The tolerance of a quantile whose relative condition number (d log x / d log p, from the
    /// fixture) is `cond`. A quantile is found by solving F(x) = p with F accurate to a few parts in
    /// 1e15; the solution inherits that error times `cond`, which exceeds 1 only where the
    /// distribution function is flat in log scale — the lower tail of a gamma or beta with a small
    /// shape (cond ≈ 1/shape, e.g. 1000 for shape 1e-3) or the far tails of a t with ν ≤ 1
    /// (cond ≈ 1/ν). Double precision cannot resolve x better than cond · (error of F), so there
    /// the bound grows in proportion: 1e-12 up to cond = 100, then cond · 1e-14.
    static func quantileTolerance(_ cond: Double) -> Double { max(tolerance, cond * 1e-14) }

    static func fixtures() throws -> [[String: Any]] {
        let json = try StatsFixtures.load("distributions.json", root: Support.repoRoot)
        return json["distributions"] as? [[String: Any]] ?? []
    }

    static let names = ["normal", "t", "chi2", "f", "beta", "gamma", "binomial", "hypergeometric"]

    @Test("matches the references to 1e-12 relative", arguments: names)
    func matchesReferences(_ name: String) throws {
        let entries = try Self.fixtures().filter { $0["name"] as? String == name }
        #expect(!entries.isEmpty, "no fixtures for \(name)")
        let comparisons = try StatsFixtures.compareDistributions(
            ["distributions": entries], tolerance: Self.tolerance, quantileTolerance: Self.quantileTolerance)
        for c in comparisons where !c.passed {
            Issue.record("\(c.label).\(c.function)(\(c.input)) = \(c.got), reference \(c.reference), relative error \(c.error) > \(c.tolerance)")
        }
        print("[\(name)] \(comparisons.count) comparisons, worst:\n" + StatsFixtures.summary(comparisons))
    }

    @Test("the fixture file covers every distribution and function")
    func coverage() throws {
        let entries = try Self.fixtures()
        #expect(entries.count >= 40)
        for name in Self.names {
            let rows = entries.filter { $0["name"] as? String == name }.flatMap { $0["points"] as? [[String: Any]] ?? [] }
            #expect(rows.count >= 20, "\(name): \(rows.count) points")
        }
    }
}

@Suite("Special functions against mpmath (60 digits)")
struct SpecialFunctionReferenceTests {
    @Test("match the references to 1e-12 relative")
    func matchesReferences() throws {
        let json = try StatsFixtures.load("special_functions.json", root: Support.repoRoot)
        let comparisons = StatsFixtures.compareSpecialFunctions(json, tolerance: 1e-12)
        #expect(comparisons.count > 100)
        for c in comparisons where !c.passed {
            Issue.record("\(c.label).\(c.function)(\(c.input)) = \(c.got), reference \(c.reference), relative error \(c.error)")
        }
        print("[special functions] \(comparisons.count) comparisons, worst:\n" + StatsFixtures.summary(comparisons))
    }
}
