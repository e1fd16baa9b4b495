// Proportion intervals against statsmodels and the deterministic part of the bootstrap against
// scipy (Tests/Fixtures/stats/intervals.json), to 1e-10 relative. Interval ends that are 0 in exact
// arithmetic (the Wilson lower end for k = 0) may come out of statsmodels' formula as rounding
// noise of order 1e-17; those are compared with an absolute 1e-15.

import Foundation
import Testing
import Stats

@Suite("Confidence intervals against statsmodels/scipy")
struct IntervalTests {
    static let file = "intervals.json"
    static func cases(_ section: String) throws -> [FixtureCase] { try TestFixtures.cases(file, section) }

    /// Compares an interval end; references below 1e-15 in magnitude are compared absolutely.
    static func end(_ check: inout ReferenceCheck, _ got: Double, _ ref: Double, _ what: String, _ c: FixtureCase) {
        if abs(ref) < 1e-15 {
            #expect(abs(got - ref) <= 1e-15, "\(what): \(got) vs \(ref) for \(c)")
        } else {
            check.check(got, ref, what, c)
        }
    }

    @Test("wilsonCI equals proportion_confint(method='wilson')")
    func wilson() throws {
        let cases = try Self.cases("wilson")
        #expect(cases.count >= 40)
        var check = ReferenceCheck()
        for c in cases {
            let r = try wilsonCI(k: c.i("k"), n: c.i("n"), level: c.d("level"))
            Self.end(&check, r.lower, c.ds("ci")[0], "lower", c)
            Self.end(&check, r.upper, c.ds("ci")[1], "upper", c)
            #expect(r.level == c.d("level"))
        }
        print("[wilsonCI] \(check.summary)")
        let golden = try wilsonCI(k: 41, n: 200)
        #expect(abs(golden.lower - 0.154862) < 5e-7 && abs(golden.upper - 0.266257) < 5e-7)
    }

    @Test("clopperPearsonCI equals proportion_confint(method='beta')")
    func clopperPearson() throws {
        let cases = try Self.cases("clopper_pearson")
        #expect(cases.count >= 40)
        var check = ReferenceCheck()
        for c in cases {
            let r = try clopperPearsonCI(k: c.i("k"), n: c.i("n"), level: c.d("level"))
            Self.end(&check, r.lower, c.ds("ci")[0], "lower", c)
            Self.end(&check, r.upper, c.ds("ci")[1], "upper", c)
        }
        print("[clopperPearsonCI] \(check.summary)")
    }

    @Test("diffProportionsCI equals confint_proportions_2indep (newcomb, wald, agresti-caffo)")
    func diffProportions() throws {
        let cases = try Self.cases("diff_proportions")
        #expect(cases.count >= 60)
        var check = ReferenceCheck()
        for c in cases {
            let method = DiffProportionsMethod(rawValue: c.s("method"))!
            let r = try diffProportionsCI(k1: c.i("k1"), n1: c.i("n1"), k2: c.i("k2"), n2: c.i("n2"),
                                          level: c.d("level"), method: method)
            Self.end(&check, r.lower, c.ds("ci")[0], "lower", c)
            Self.end(&check, r.upper, c.ds("ci")[1], "upper", c)
        }
        print("[diffProportionsCI] \(check.summary)")
        let golden = try diffProportionsCI(k1: 41, n1: 200, k2: 18, n2: 200)
        #expect(abs(golden.lower - 0.045751) < 5e-7 && abs(golden.upper - 0.184257) < 5e-7)
    }

    /// The statistic named in a fixture.
    static func statistic(_ name: String) -> ([Double]) -> Double {
        switch name {
        case "mean": return { $0.reduce(0, +) / Double($0.count) }
        case "median":
            return { x in
                let s = x.sorted()
                return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
            }
        default:  // std, ddof 1
            return { x in
                let m = x.reduce(0, +) / Double(x.count)
                return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
            }
        }
    }

    @Test("bootstrap: interval from a given bootstrap distribution equals scipy's (BCa and percentile)")
    func bootstrapDeterministic() throws {
        let entries = try Self.cases("bootstrap_fixed")
        #expect(entries.count >= 12)
        var check = ReferenceCheck()
        var degenerate = 0, total = 0
        for e in entries {
            let x = e.ds("x"), dist = e.ds("distribution")
            let stat = Self.statistic(e.s("statistic"))
            for raw in e.raw["intervals"] as? [[String: Any]] ?? [] {
                total += 1
                var merged = e.raw
                merged.removeValue(forKey: "intervals")
                merged.removeValue(forKey: "distribution")
                merged.removeValue(forKey: "x")
                for (k, v) in raw { merged[k] = v }
                let c = FixtureCase(raw: merged)
                let method = BootstrapMethod(rawValue: c.s("method"))!
                let ci = c.ds("ci")
                if ci[0].isNaN || ci[1].isNaN {
                    // scipy's NaN (constant jackknife): a clear error here.
                    degenerate += 1
                    #expect(throws: StatsError.self) {
                        _ = try BootstrapInterval.result(x, statistic: stat, distribution: dist, method: method,
                                                         level: c.d("level"), alternative: c.alternative)
                    }
                    continue
                }
                let r = try BootstrapInterval.result(x, statistic: stat, distribution: dist, method: method,
                                                     level: c.d("level"), alternative: c.alternative)
                check.check(r.ci.lower, ci[0], "lower", c)
                check.check(r.ci.upper, ci[1], "upper", c)
                check.check(r.estimate, c.d("estimate"), "estimate", c)
                check.check(r.standardError, c.d("standard_error"), "standardError", c)
                guard method == .bca else { continue }
                let z0 = try BootstrapInterval.biasCorrection(dist, estimate: r.estimate)
                check.check(z0, c.d("z0"), "z0", c)
                let jack = (0..<x.count).map { i -> Double in
                    var sample = x
                    sample.remove(at: i)
                    return stat(sample)
                }
                let a = try BootstrapInterval.acceleration(jack)
                // â is a ratio of sums of cubes that cancel for a symmetric jackknife (the median):
                // there it is rounding noise of order 1e-16 in both implementations.
                if abs(c.d("acceleration")) < 1e-12 {
                    #expect(abs(a) < 1e-12, "acceleration \(a) for \(c)")
                } else {
                    check.check(a, c.d("acceleration"), "acceleration", c)
                }
                let alpha = c.alternative == .twoSided ? 0.5 * (1 - c.d("level")) : 1 - c.d("level")
                let levels = BootstrapInterval.bcaProbabilities(z0: z0, acceleration: a, alpha: alpha)
                check.check(levels.0, c.d("alpha_1"), "alpha_1", c)
                check.check(levels.1, c.d("alpha_2"), "alpha_2", c)
            }
        }
        #expect(total >= 60)
        #expect(degenerate < total / 4)
        print("[bootstrap fixed] \(check.summary); \(degenerate) of \(total) degenerate cases throw")
    }

    @Test("BCa pieces worked by hand: acceleration, bias correction, quantiles")
    func bcaByHand() throws {
        // Jackknife values 1, 2, 3, 10: mean 4, U = 3·(3, 2, 1, −6) = (9, 6, 3, −18).
        // ΣU³ = 729 + 216 + 27 − 5832 = −4860, ΣU² = 81 + 36 + 9 + 324 = 450;
        // â = (1/6)(−4860/64)/(450/16)^{3/2} = −12.65625/149.1646… = −0.084847…
        let a = try BootstrapInterval.acceleration([1, 2, 3, 10])
        let expected = (-4860.0 / 64.0) / (6 * pow(450.0 / 16.0, 1.5))
        #expect(abs(a - expected) < 1e-15)
        // θ̂ = 2 among (1, 2, 2, 3): (#< + #≤)/(2B) = (1 + 3)/8 = ½ → ẑ₀ = 0.
        #expect(try BootstrapInterval.biasCorrection([1, 2, 2, 3], estimate: 2) == 0)
        // With ẑ₀ = 0 and â = 0 the BCa levels are the percentile levels.
        let levels = BootstrapInterval.bcaProbabilities(z0: 0, acceleration: 0, alpha: 0.025)
        #expect(abs(levels.0 - 0.025) < 1e-15 && abs(levels.1 - 0.975) < 1e-15)
        // Linear interpolation between order statistics (numpy's default): h = (B − 1)p.
        #expect(BootstrapInterval.quantile([0, 10, 20, 30], 0.5) == 15)
        #expect(abs(BootstrapInterval.quantile([0, 10, 20, 30], 0.1) - 3) < 1e-14)
        #expect(throws: StatsError.self) { try BootstrapInterval.acceleration([4, 4, 4]) }
        #expect(throws: StatsError.self) { try BootstrapInterval.biasCorrection([1, 2, 3], estimate: 5) }
    }
}
