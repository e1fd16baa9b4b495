// The paired tests and the minimum-effect tests against scipy and statsmodels
// (Tests/Fixtures/stats/paired.json, written by Scripts/dev/make_paired_fixtures.py): p-values,
// statistics and the interval ends (brentq roots in the reference, xtol 1e-15 for rates and 1e-13
// on scipy's noncentral t for means) at 1e-10 relative; the worst seen is about 5e-14.

import Foundation
import Testing
import TestSupport
import Stats

@Suite("Paired and minimum-effect tests against scipy/statsmodels")
struct PairedReferenceTests {
    static let file = "paired.json"
    static func cases(_ section: String) throws -> [FixtureCase] { try TestFixtures.cases(file, section) }

    static func direction(_ c: FixtureCase) -> EffectDirection { EffectDirection(rawValue: c.s("direction"))! }

    @Test("mcnemar: exact binomial on the discordant pairs equals statsmodels/scipy")
    func mcnemarExact() throws {
        let cases = try Self.cases("mcnemar")
        #expect(cases.count >= 30)
        var check = ReferenceCheck()
        for c in cases {
            let r = try mcnemar(b: c.i("b"), c: c.i("c"), alternative: c.alternative)
            check.check(r.statistic, c.d("statistic"), "statistic", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
        }
        print("[mcnemar] \(check.summary)")
    }

    @Test("signTest: binomial on the signs equals scipy binomtest / statsmodels sign_test")
    func signTestReference() throws {
        let cases = try Self.cases("sign_test")
        #expect(cases.count >= 25)
        var check = ReferenceCheck()
        for c in cases {
            let r = try signTest(c.ds("x"), alternative: c.alternative, mu: c.d("mu"))
            #expect(r.positive == c.i("positive") && r.negative == c.i("negative") && r.zeros == c.i("zeros"), "\(c)")
            check.check(r.statistic, c.d("statistic"), "statistic", c)
            check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
        }
        print("[signTest] \(check.summary)")
    }

    @Test("wilcoxonSignedRank equals scipy.stats.wilcoxon (every zero method, method and alternative)")
    func wilcoxonReference() throws {
        let cases = try Self.cases("wilcoxon")
        #expect(cases.count >= 200)
        var check = ReferenceCheck()
        var methods: Set<String> = []
        for c in cases {
            let y: [Double]? = c.raw["y"] is NSNull || c.raw["y"] == nil ? nil : c.ds("y")
            let r = try wilcoxonSignedRank(c.ds("x"), y, alternative: c.alternative,
                                           method: WilcoxonMethod(rawValue: c.s("method"))!,
                                           zeroMethod: WilcoxonZeroMethod(rawValue: c.s("zero_method"))!,
                                           correction: c.b("correction"))
            #expect(r.method.rawValue == c.s("method_used"), "\(c)")
            methods.insert(r.method.rawValue)
            check.check(r.statistic, c.d("statistic"), "statistic", c)
            let reference = c.raw["pvalue_counting"] != nil ? c.d("pvalue_counting") : c.d("pvalue")
            check.check(r.pvalue, reference, "pvalue", c)
        }
        #expect(methods == ["exact", "asymptotic", "permutation"])
        print("[wilcoxon] \(check.summary)")
    }

    /// Checks the p-value, p_zero, effect and (where the case has one) interval of a minimum-effect result.
    static func checkShared(_ r: MinimumEffectResult, _ c: FixtureCase, _ check: inout ReferenceCheck,
                            _ interval: inout ReferenceCheck) {
        check.check(r.pvalue, c.d("pvalue"), "pvalue", c)
        check.check(r.pZero, c.d("p_zero"), "p_zero", c)
        check.check(r.effect, c.d("effect"), "effect", c)
        if c.raw["ci"] != nil {
            let ci = c.ds("ci")
            interval.check(r.ci.lower, ci[0], "ci.lower", c)
            interval.check(r.ci.upper, ci[1], "ci.upper", c)
        }
    }

    static func ones(_ k: Int, of n: Int) -> [Double] {
        [Double](repeating: 1, count: k) + [Double](repeating: 0, count: n - k)
    }

    @Test("minimumEffectTest, unpaired rates: Miettinen–Nurminen score p and interval equal the reference")
    func rateUnpaired() throws {
        let cases = try Self.cases("min_effect_rate")
        #expect(cases.count >= 90)
        var check = ReferenceCheck(), interval = ReferenceCheck(tolerance: 1e-10, zeroTolerance: 1e-12)
        for c in cases {
            let r = try minimumEffectTest(base: Self.ones(c.i("x0"), of: c.i("n0")), model: Self.ones(c.i("x1"), of: c.i("n1")),
                                          kind: .rate, minEffect: c.d("min_effect"), direction: Self.direction(c))
            #expect(r.test == "Miettinen-Nurminen score")
            Self.checkShared(r, c, &check, &interval)
        }
        print("[minimumEffect rate] \(check.summary); interval \(interval.summary)")
    }

    @Test("minimumEffectTest, paired rates: Tango's score (and exact McNemar at margin 0) equal the references")
    func ratePaired() throws {
        let cases = try Self.cases("min_effect_rate_paired")
        #expect(cases.count >= 70)
        var check = ReferenceCheck(), interval = ReferenceCheck(tolerance: 1e-10, zeroTolerance: 1e-12)
        for c in cases {
            let b = c.i("b"), cc = c.i("c"), n = c.i("n")
            let concordant = n - b - cc
            let base = [Double](repeating: 0, count: b) + [Double](repeating: 1, count: cc) + Self.ones(concordant / 2, of: concordant)
            let model = [Double](repeating: 1, count: b) + [Double](repeating: 0, count: cc) + Self.ones(concordant / 2, of: concordant)
            let r = try minimumEffectTest(base: base, model: model, paired: true, kind: .rate, minEffect: c.d("min_effect"),
                                          direction: Self.direction(c))
            #expect(r.test == (c.d("min_effect") == 0 ? "exact McNemar" : "Tango score"))
            Self.checkShared(r, c, &check, &interval)
        }
        print("[minimumEffect paired rate] \(check.summary); interval \(interval.summary)")
    }

    @Test("minimumEffectTest, means: noncentral t p-values and the d interval equal scipy/mpmath")
    func means() throws {
        let cases = try Self.cases("min_effect_mean")
        #expect(cases.count >= 40)
        var check = ReferenceCheck(), interval = ReferenceCheck(tolerance: 1e-10)
        for c in cases {
            let r = try minimumEffectTest(base: c.ds("base"), model: c.ds("model"), paired: c.b("paired"), kind: .mean,
                                          minEffect: c.d("min_effect"), direction: Self.direction(c))
            check.check(r.statistic, c.d("t"), "t", c)
            Self.checkShared(r, c, &check, &interval)
        }
        print("[minimumEffect mean] \(check.summary); interval \(interval.summary)")
    }
}
