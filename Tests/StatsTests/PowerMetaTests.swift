// Effect sizes, power, sample sizes, the noncentral t and meta-analysis against scipy, statsmodels
// and mpmath (Tests/Fixtures/stats/power_meta.json), to 1e-10 relative.

import Foundation
import Testing
import Stats

@Suite("Effect sizes, power and meta-analysis against scipy/statsmodels")
struct PowerMetaTests {
    static let file = "power_meta.json"
    static func cases(_ section: String) throws -> [FixtureCase] { try TestFixtures.cases(file, section) }

    @Test("effect sizes: Cohen's h, d, Hedges' g, rank-biserial, Cramér's V")
    func effectSizes() throws {
        var check = ReferenceCheck(tolerance: 1e-10, zeroTolerance: 1e-15)
        let h = try Self.cases("cohens_h")
        #expect(h.count >= 20)
        for c in h { check.check(try cohensH(p1: c.d("p1"), p2: c.d("p2")), c.d("h"), "h", c) }
        for c in try Self.cases("cohens_d_hedges_g") {
            check.check(try cohensD(c.ds("x"), c.ds("y")), c.d("d"), "d", c)
            check.check(try hedgesG(c.ds("x"), c.ds("y")), c.d("g"), "g", c)
        }
        for c in try Self.cases("rank_biserial") {
            check.check(try rankBiserial(c.ds("x"), c.ds("y")), c.d("r"), "r", c)
        }
        let v = try Self.cases("cramers_v")
        #expect(v.count >= 20)
        for c in v {
            check.check(try cramersV(c.intTable("table").map { $0.map(Double.init) }), c.d("v"), "V", c)
        }
        print("[effect sizes] \(check.summary)")
        #expect(abs(try cohensH(p1: 41.0 / 200, p2: 18.0 / 200) - 0.330352) < 1e-6)
    }

    @Test("effect sizes: golden values of the notes (d = 1.768592, g = 1.701430 for n = 12 + 10)")
    func hedgesGolden() throws {
        // Samples of sizes 12 and 10 scaled so that d is exactly the notes' value: then g follows
        // from the correction 1 − 3/(4·22 − 9) = 76/79 alone.
        let x: [Double] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        let y: [Double] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        let d0 = try cohensD(x, y)
        let n1 = 12.0, n2 = 10.0
        let pooled = ((n1 - 1) * 13 + (n2 - 1) * (55.0 / 6)) / (n1 + n2 - 2)
        #expect(abs(d0 - 1 / pooled.squareRoot()) < 1e-15)
        let shift = 1.768592 * pooled.squareRoot() - 1  // move x so that d = 1.768592
        let d = try cohensD(x.map { $0 + shift }, y)
        let g = try hedgesG(x.map { $0 + shift }, y)
        #expect(abs(d - 1.768592) < 1e-12)
        #expect(abs(g - 1.701430) < 5e-7)
        #expect(abs(g / d - 76.0 / 79.0) < 1e-15)
    }

    @Test("power of the two-proportion z-test equals NormalIndPower.power")
    func powerNormal() throws {
        let cases = try Self.cases("power_normal")
        #expect(cases.count >= 20)
        var check = ReferenceCheck()
        for c in cases {
            let p = try powerTwoProportions(p1: c.d("p1"), p2: c.d("p2"), n: c.d("n"), alpha: c.d("alpha"),
                                            ratio: c.d("ratio"), alternative: c.alternative)
            check.check(p, c.d("power"), "power", c)
        }
        print("[powerTwoProportions] \(check.summary)")
    }

    @Test("power of the t-test equals TTestIndPower.power (noncentral t)")
    func powerT() throws {
        let cases = try Self.cases("power_t")
        #expect(cases.count >= 20)
        var exact = ReferenceCheck(), statsmodels = ReferenceCheck()
        var inaccurateReference = 0
        for c in cases {
            let p = try powerTTest(effectSize: c.d("effect_size"), n: c.d("n"), alpha: c.d("alpha"),
                                   ratio: c.d("ratio"), alternative: c.alternative)
            exact.check(p, c.d("power_mpmath"), "power (60-digit noncentral t)", c)
            // scipy's nctdtr, under statsmodels, is itself off by more than 1e-11 in far tails
            // opposite to the effect (a one-sided test pointing the wrong way); there the
            // reference is the 60-digit value only.
            if abs(c.d("power") - c.d("power_mpmath")) > 1e-11 * c.d("power_mpmath") {
                inaccurateReference += 1
                continue
            }
            statsmodels.check(p, c.d("power"), "power", c)
        }
        #expect(inaccurateReference <= 3)
        print("[powerTTest] vs statsmodels: \(statsmodels.summary); vs mpmath: \(exact.summary); \(inaccurateReference) cases where statsmodels' own value is off by > 1e-11")
    }

    @Test("sample sizes solve statsmodels' power equations (golden: h = 0.2 → 392.44, d = 0.5 → 63.77)")
    func sampleSizes() throws {
        var check = ReferenceCheck()
        var loose = 0.0
        let normal = try Self.cases("sample_size_normal")
        #expect(normal.count >= 20)
        for c in normal {
            let n = try sampleSizeTwoProportions(p1: c.d("p1"), p2: c.d("p2"), power: c.d("power"), alpha: c.d("alpha"),
                                                 ratio: c.d("ratio"), alternative: c.alternative)
            check.check(n, c.d("n"), "n", c)
            loose = max(loose, abs(n / c.d("statsmodels_solve_power") - 1))
        }
        let t = try Self.cases("sample_size_t")
        #expect(t.count >= 20)
        for c in t {
            let n = try sampleSizeTTest(effectSize: c.d("effect_size"), power: c.d("power"), alpha: c.d("alpha"),
                                        ratio: c.d("ratio"), alternative: c.alternative)
            check.check(n, c.d("n"), "n", c)
        }
        print("[sample sizes] \(check.summary); normal vs statsmodels solve_power (xtol 1e-5): \(loose)")
        // Golden values; h = 0.2 exactly (p2 chosen so that 2 asin √p1 − 2 asin √p2 = 0.2).
        let p1 = 0.5, p2 = pow(sin(asin(p1.squareRoot()) - 0.1), 2)
        let n = try sampleSizeTwoProportions(p1: p1, p2: p2)
        #expect(abs(n - 392.44) < 0.005)
        #expect(abs(try sampleSizeTTest(effectSize: 0.5) - 63.77) < 0.005)
        // The solution reproduces the requested power.
        #expect(abs(try powerTTest(effectSize: 0.5, n: try sampleSizeTTest(effectSize: 0.5)) - 0.8) < 1e-13)
    }

    @Test("power at extreme arguments stays in [0, 1] and is monotone in n")
    func powerExtremes() throws {
        // δ = 35355 with df = 2·10⁶: the tails come from the quadrature (relative accuracy ~1e-14).
        #expect(abs(try powerTTest(effectSize: 50, n: 1e6) - 1) < 1e-13)
        #expect(try powerTTest(effectSize: -50, n: 1e6, alternative: .greater) == 0)
        #expect(try powerTwoProportions(p1: 0.9, p2: 0.1, n: 1e7) == 1)
        let tiny = try powerTTest(effectSize: 1e-8, n: 10)
        #expect(abs(tiny - 0.05) < 1e-8)
        var previous = 0.0
        for n in [2.5, 3, 5, 10, 20, 50, 100, 1000] {
            let p = try powerTTest(effectSize: 0.4, n: n, alpha: 0.01)
            #expect(p > previous && p <= 1)
            previous = p
        }
        // A large effect needs few observations: the root lies just above df = 0.
        let n = try sampleSizeTTest(effectSize: 8, power: 0.8)
        #expect(n > 1 && n < 3)
        #expect(abs(try powerTTest(effectSize: 8, n: n) - 0.8) < 1e-12)
    }

    @Test("noncentral t: cdf and sf against 60-digit mpmath, both tails, every sign")
    func noncentralT() throws {
        let cases = try Self.cases("noncentral_t")
        #expect(cases.count >= 25)
        var check = ReferenceCheck(tolerance: 1e-12)
        var scipyWorst = 0.0
        for c in cases {
            let dist = try NoncentralT(df: c.d("df"), nc: c.d("nc"))
            let t = c.d("t")
            check.check(dist.cdf(t), c.d("cdf"), "cdf", c)
            check.check(dist.sf(t), c.d("sf"), "sf", c)
            scipyWorst = max(scipyWorst, abs(c.d("scipy_cdf") - c.d("cdf")) / c.d("cdf"))
        }
        print("[noncentral t] \(check.summary); scipy nctdtr's worst relative error on these: \(scipyWorst)")
    }

    @Test("combinePValues equals scipy combine_pvalues (Fisher, Stouffer, weights)")
    func combine() throws {
        let cases = try Self.cases("combine_pvalues")
        #expect(cases.count >= 20)
        var check = ReferenceCheck()
        for c in cases {
            let method = CombinePValuesMethod(rawValue: c.s("method"))!
            let weights = c.raw["weights"] == nil ? nil : c.ds("weights")
            let r = try combinePValues(c.ds("p"), method: method, weights: weights)
            check.check(r.statistic, c.d("statistic"), "statistic", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
        }
        print("[combinePValues] \(check.summary)")
        let p = [0.01, 0.04, 0.2, 0.03, 0.5]
        let fisher = try combinePValues(p)
        #expect(abs(fisher.statistic - 27.2664) < 1e-4 && abs(fisher.pvalue - 0.0023631) < 1e-7)
        let stouffer = try combinePValues(p, method: .stouffer)
        #expect(abs(stouffer.statistic - 3.040806) < 1e-6 && abs(stouffer.pvalue - 0.0011797) < 1e-7)
        let weighted = try combinePValues(p, method: .stouffer, weights: [50, 80, 30, 120, 40])
        #expect(abs(weighted.statistic - 3.158412) < 1e-6 && abs(weighted.pvalue - 7.9315e-4) < 1e-8)
    }

    @Test("combinePValues clips p = 0 and p = 1 instead of returning ±∞ or NaN")
    func combineClipping() throws {
        let zero = try combinePValues([0, 0.5])
        #expect(zero.statistic.isFinite && zero.pvalue > 0 && zero.pvalue < 1e-290)
        let both = try combinePValues([0, 1], method: .stouffer)
        #expect(both.statistic.isFinite && both.pvalue > 0 && both.pvalue < 1)
        #expect(try combinePValues([1, 1], method: .stouffer).pvalue > 1 - 1e-15)
    }

    @Test("randomEffects equals statsmodels combine_effects (DL 'chi2', PM 'iterated')")
    func randomEffectsReference() throws {
        let cases = try Self.cases("random_effects")
        #expect(cases.count >= 20)
        var check = ReferenceCheck(tolerance: 1e-10, zeroTolerance: 1e-14)
        var truncated = 0
        for c in cases {
            let method = RandomEffectsMethod(rawValue: c.s("method"))!
            let r = try randomEffects(effects: c.ds("effects"), variances: c.ds("variances"), method: method,
                                      level: c.d("level"))
            if c.b("truncated") { truncated += 1 }
            check.check(r.estimate, c.d("estimate"), "estimate", c)
            check.check(r.se, c.d("se"), "se", c)
            check.check(r.ci.lower, c.ds("ci")[0], "ci.lower", c)
            check.check(r.ci.upper, c.ds("ci")[1], "ci.upper", c)
            check.check(r.q, c.d("q"), "q", c)
            check.check(r.qPvalue, c.d("q_pvalue"), "qPvalue", c)
            check.check(r.fixedEstimate, c.d("fixed_estimate"), "fixedEstimate", c)
            check.check(r.fixedSE, c.d("fixed_se"), "fixedSE", c)
            #expect(r.df == c.i("df"))
            // τ² = (Q − df)/c and I² = (Q − df)/Q cancel when Q ≈ df: compare them relative to the
            // scale they are differences of (mean variance, resp. 1).
            let meanV = c.ds("variances").reduce(0, +) / Double(c.ds("variances").count)
            #expect(abs(r.tau2 - c.d("tau2")) <= 1e-10 * max(abs(c.d("tau2")), 1e-3 * meanV), "tau2 \(r.tau2) \(c)")
            #expect(abs(r.i2 - c.d("i2")) <= 1e-10 * max(abs(c.d("i2")), 1e-3), "i2 \(r.i2) \(c)")
        }
        #expect(truncated > 0 && truncated < cases.count)
        print("[randomEffects] \(check.summary); \(truncated) cases with Q < k − 1 (τ² truncated at 0)")
        let golden = try randomEffects(effects: [0.30, 0.12, 0.45, 0.22, 0.05], variances: [0.010, 0.020, 0.030, 0.015, 0.025])
        #expect(abs(golden.q - 4.00778) < 1e-5 && abs(golden.tau2 - 3.5e-5) < 1e-9)
        #expect(abs(golden.estimate - 0.233301) < 1e-6 && abs(golden.se - 0.058792) < 1e-6)
    }
}
