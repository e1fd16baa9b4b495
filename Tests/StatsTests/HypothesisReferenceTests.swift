// The hypothesis tests against scipy and statsmodels (Tests/Fixtures/stats/hypothesis_tests.json):
// 1e-10 relative everywhere. Randomized permutation p-values are compared with the exact
// (fully enumerated) p-value within Monte Carlo error instead.

import Foundation
import Testing
import TestSupport
import Stats

@Suite("Hypothesis tests against scipy/statsmodels")
struct HypothesisReferenceTests {
    static let file = "hypothesis_tests.json"
    static func cases(_ section: String) throws -> [FixtureCase] { try TestFixtures.cases(file, section) }

    /// The shared two-sample data sets by label.
    static func samples() throws -> [String: (x: [Double], y: [Double])] {
        let json = try StatsFixtures.load(file, root: Support.repoRoot)
        var out: [String: (x: [Double], y: [Double])] = [:]
        for (label, value) in json["samples"] as? [String: [String: Any]] ?? [:] {
            let c = FixtureCase(raw: value)
            out[label] = (c.ds("x"), c.ds("y"))
        }
        return out
    }

    @Test("binomTest: p-value, k/n and Clopper–Pearson interval")
    func binomial() throws {
        let cases = try Self.cases("binom_test")
        #expect(cases.count >= 60)
        var check = ReferenceCheck()
        for c in cases {
            let r = try binomTest(k: c.i("k"), n: c.i("n"), p: c.d("p"), alternative: c.alternative, level: c.d("level"))
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
            check.check(r.statistic, c.d("statistic"), "statistic", c)
            let ci = c.ds("ci")
            check.check(r.ci.lower, ci[0], "ci.lower", c)
            check.check(r.ci.upper, ci[1], "ci.upper", c)
            // scipy's own brentq limits, good to its absolute xtol.
            let scipyCI = c.ds("scipy_ci")
            #expect(abs(r.ci.lower - scipyCI[0]) < 1e-11 && abs(r.ci.upper - scipyCI[1]) < 1e-11, "\(c)")
        }
        print("[binomTest] \(check.summary)")
    }

    @Test("binomTest golden values of the notes: 41/200 vs 0.1")
    func binomialGolden() throws {
        let r = try binomTest(k: 41, n: 200, p: 0.1)
        #expect(abs(r.pvalue - 8.6825e-6) < 5e-10)
        #expect(abs(r.ci.lower - 0.151311) < 5e-7 && abs(r.ci.upper - 0.267654) < 5e-7)
    }

    @Test("fisherExact: p-value and sample odds ratio")
    func fisher() throws {
        let cases = try Self.cases("fisher_exact")
        #expect(cases.count >= 60)
        var check = ReferenceCheck()
        for c in cases {
            let r = try fisherExact(c.intTable("table"), alternative: c.alternative)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
            check.check(r.oddsRatio, c.d("odds_ratio"), "oddsRatio", c)
        }
        print("[fisherExact] \(check.summary)")
    }

    @Test("fisherExact uses a relative tolerance: [[22, 0], [0, 102]] is about 7.2e-25, not ~1e-7")
    func fisherRelativeTolerance() throws {
        let r = try fisherExact([[22, 0], [0, 102]])
        #expect(r.pvalue > 7.1e-25 && r.pvalue < 7.3e-25)
        #expect(r.oddsRatio == .infinity)
        let golden = try fisherExact([[41, 159], [18, 182]])
        #expect(abs(golden.pvalue - 0.0017416) < 1e-7 && abs(golden.oddsRatio - 2.6073) < 1e-4)
        #expect(abs(try fisherExact([[41, 159], [18, 182]], alternative: .greater).pvalue - 0.00087079) < 1e-8)
    }

    @Test("twoProportionZ: pooled z and p-value")
    func twoProportion() throws {
        let cases = try Self.cases("two_proportion_z")
        #expect(cases.count >= 60)
        var check = ReferenceCheck()
        for c in cases {
            let r = try twoProportionZ(k1: c.i("k1"), n1: c.i("n1"), k2: c.i("k2"), n2: c.i("n2"),
                                       alternative: c.alternative)
            check.check(r.z, c.d("z"), "z", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
        }
        print("[twoProportionZ] \(check.summary)")
        let golden = try twoProportionZ(k1: 41, n1: 200, k2: 18, n2: 200)
        #expect(abs(golden.z - 3.243057) < 1e-6 && abs(golden.pvalue - 0.0011825) < 1e-7)
    }

    @Test("chi2Contingency: statistic, p-value, dof and expected counts, Yates only for dof = 1")
    func chiSquare() throws {
        let cases = try Self.cases("chi2_contingency")
        #expect(cases.count >= 30)
        var check = ReferenceCheck()
        for c in cases {
            let r = try chi2Contingency(c.doubleTable("table"), correction: c.b("correction"))
            check.check(r.statistic, c.d("statistic"), "statistic", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
            #expect(r.dof == c.i("dof"), "\(c)")
            let expected = c.doubleTable("expected")
            #expect(expected.count == r.expected.count, "\(c)")
            for (row, refRow) in zip(r.expected, expected) {
                for (v, ref) in zip(row, refRow) { check.check(v, ref, "expected", c) }
            }
            #expect(r.corrected == (c.b("correction") && r.dof == 1))
        }
        print("[chi2Contingency] \(check.summary)")
        let yates = try chi2Contingency([[41, 159], [18, 182]])
        #expect(abs(yates.statistic - 9.6227) < 1e-4 && abs(yates.pvalue - 0.0019218) < 1e-7)
    }

    @Test("welchT and studentT: t, df and p-value")
    func tTests() throws {
        let cases = try Self.cases("ttest")
        #expect(cases.count >= 60)
        let samples = try Self.samples()
        var check = ReferenceCheck()
        for c in cases {
            let (x, y) = try #require(samples[c.s("label")])
            let r = c.b("equal_var") ? try studentT(x, y, alternative: c.alternative)
                                      : try welchT(x, y, alternative: c.alternative)
            check.check(r.t, c.d("t"), "t", c)
            check.check(r.df, c.d("df"), "df", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
        }
        print("[t-tests] \(check.summary)")
    }

    @Test("mannWhitney: U₁ and p-value for every method, continuity setting and alternative")
    func mannWhitneyReference() throws {
        let cases = try Self.cases("mann_whitney")
        #expect(cases.count >= 100)
        let samples = try Self.samples()
        var check = ReferenceCheck()
        for c in cases {
            let method = MannWhitneyMethod(rawValue: c.s("method"))!
            let (x, y) = try #require(samples[c.s("label")])
            let r = try mannWhitney(x, y, alternative: c.alternative, method: method,
                                    useContinuity: c.b("use_continuity"))
            check.check(r.u, c.d("u"), "u", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
            #expect(r.method.rawValue == c.s("method_used"), "\(c)")
        }
        print("[mannWhitney] \(check.summary)")
    }

    @Test("permutationTest: exact enumeration equals scipy's")
    func permutationExact() throws {
        let cases = try Self.cases("permutation_exact")
        #expect(cases.count >= 20)
        var check = ReferenceCheck()
        for c in cases {
            let r = try permutationTest(c.ds("x"), c.ds("y"), alternative: c.alternative)
            #expect(r.exact && r.permutations == c.i("permutations"), "\(c)")
            check.check(r.statistic, c.d("statistic"), "statistic", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
            // The closure form enumerates the same splits.
            let closure = try permutationTest(c.ds("x"), c.ds("y"), statistic: { a, b in
                a.reduce(0, +) / Double(a.count) - b.reduce(0, +) / Double(b.count)
            }, alternative: c.alternative)
            check.check(closure.pvalue, c.d("pvalue"), "pvalue (closure)", c)
        }
        print("[permutationTest exact] \(check.summary)")
    }

    @Test("permutationTest: randomized p-values are within Monte Carlo error of the exact one")
    func permutationRandomized() throws {
        let cases = try Self.cases("permutation_random")
        #expect(cases.count >= 6)
        for c in cases {
            let exact = c.d("exact_pvalue")
            let b = 9999
            let r = try permutationTest(c.ds("x"), c.ds("y"), alternative: c.alternative, resamples: b, seed: 12345)
            #expect(!r.exact && r.permutations == b)
            #expect(abs(r.statistic - c.d("statistic")) <= 1e-12 * abs(c.d("statistic")))
            // p̂ = (X + 1)/(B + 1), X ~ Binomial(B, p) (for two-sided, 2·min of two such).
            let sd = (exact * (1 - min(exact, 1)) / Double(b)).squareRoot()
            let factor = c.alternative == .twoSided ? 2.0 : 1.0
            #expect(abs(r.pvalue - exact) <= factor * 5 * sd + 2 / Double(b + 1),
                    "\(c): \(r.pvalue) vs exact \(exact)")
            #expect(r.pvalue >= 1 / Double(b + 1))
        }
        // The notes' example: the mean difference test is highly significant and never 0.
        let notes = cases.first { $0.alternative == .twoSided }!
        let r = try permutationTest(notes.ds("x"), notes.ds("y"), seed: 1)
        #expect(r.pvalue > 0 && r.pvalue < 0.02)
    }

    @Test("auc: AUC, DeLong SE and interval, Mann–Whitney p-value")
    func aucReference() throws {
        let cases = try Self.cases("auc")
        #expect(cases.count >= 8)
        var check = ReferenceCheck()
        for c in cases {
            let r = try auc(positive: c.ds("positive"), negative: c.ds("negative"), level: c.d("level"))
            check.check(r.auc, c.d("auc"), "auc", c)
            check.check(r.se, c.d("se"), "se", c)
            check.check(r.ci.lower, c.ds("ci")[0], "ci.lower", c)
            check.check(r.ci.upper, c.ds("ci")[1], "ci.upper", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
        }
        print("[auc] \(check.summary)")
    }

    @Test("auc: a DeLong example worked by hand")
    func aucByHand() throws {
        // Positives 0.9, 0.8, 0.4; negatives 0.7, 0.4, 0.1.
        // ψ rows (positive vs each negative): 0.9 → 1, 1, 1; 0.8 → 1, 1, 1; 0.4 → 0, ½, 1.
        // AUC = 7.5/9 = 5/6. V10 = (1, 1, 1/2), V01 = (2/3, 5/6, 1).
        // S10 = var(1, 1, ½) = 1/12, S01 = var(2/3, 5/6, 1) = 1/36 (ddof 1).
        // Var = (1/12)/3 + (1/36)/3 = 1/27, SE = 0.19245008972987526.
        let r = try auc(positive: [0.9, 0.8, 0.4], negative: [0.7, 0.4, 0.1])
        #expect(abs(r.auc - 5.0 / 6.0) < 1e-15)
        #expect(abs(r.se - (1.0 / 27.0).squareRoot()) < 1e-15)
        let z = 1.959963984540054
        #expect(abs(r.ci.lower - (5.0 / 6.0 - z * (1.0 / 27.0).squareRoot())) < 1e-14)
        #expect(r.ci.upper == 1)  // 0.833 + 0.377 clipped
        #expect(r.ci.level == 0.95)
    }
}
