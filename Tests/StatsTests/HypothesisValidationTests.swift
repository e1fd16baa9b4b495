// Bad inputs of the tests, intervals, effect sizes, power and meta-analysis functions throw a
// StatsError whose message names the function and the argument (snapshots of what users read).

import Foundation
import Testing
import Stats

@Suite("Input validation of tests, intervals, power and meta-analysis")
struct HypothesisValidationTests {
    /// The error thrown by `body` (nil when it does not throw a StatsError).
    private func error(_ body: () throws -> Any) -> StatsError? {
        do {
            _ = try body()
            return nil
        } catch let e as StatsError {
            return e
        } catch {
            return nil
        }
    }

    private func invalid(_ body: () throws -> Any) -> String? {
        if case .invalidArgument(let m) = error(body) { return m }
        return nil
    }

    private func insufficient(_ body: () throws -> Any) -> String? {
        if case .insufficientData(let m) = error(body) { return m }
        return nil
    }

    let nan = Double.nan

    @Test("counts and probabilities")
    func counts() {
        #expect(invalid { try binomTest(k: 12, n: 10) } == "binomTest: k must be <= n (10), got 12")
        #expect(invalid { try binomTest(k: -1, n: 10) } == "binomTest: k must be >= 0, got -1")
        #expect(invalid { try binomTest(k: 0, n: 0) } == "binomTest: n must be >= 1, got 0")
        #expect(invalid { try binomTest(k: 3, n: 10, p: 1.5) } == "binomTest: p must be in [0, 1], got 1.5")
        #expect(invalid { try binomTest(k: 3, n: 10, p: nan) } == "binomTest: p must be in [0, 1], got nan")
        #expect(invalid { try binomTest(k: 3, n: 10, level: 1) } == "binomTest: level must be in (0, 1), got 1")
        #expect(invalid { try twoProportionZ(k1: 5, n1: 4, k2: 1, n2: 3) } == "twoProportionZ: k1 must be <= n1 (4), got 5")
        #expect(invalid { try twoProportionZ(k1: 1, n1: 4, k2: -2, n2: 3) } == "twoProportionZ: k2 must be >= 0, got -2")
        #expect(invalid { try wilsonCI(k: 1, n: 0) } == "wilsonCI: n must be >= 1, got 0")
        #expect(invalid { try wilsonCI(k: 1, n: 5, level: 0) } == "wilsonCI: level must be in (0, 1), got 0")
        #expect(invalid { try clopperPearsonCI(k: 6, n: 5) } == "clopperPearsonCI: k must be <= n (5), got 6")
        #expect(invalid { try clopperPearsonCI(k: 1, n: 5, level: nan) } == "clopperPearsonCI: level must be in (0, 1), got nan")
        #expect(invalid { try diffProportionsCI(k1: 1, n1: 5, k2: 1, n2: 0) } == "diffProportionsCI: n2 must be >= 1, got 0")
        #expect(invalid { try diffProportionsCI(k1: 1, n1: 5, k2: 1, n2: 5, level: 95) } == "diffProportionsCI: level must be in (0, 1), got 95")
        #expect(invalid { try cohensH(p1: -0.1, p2: 0.5) } == "cohensH: p1 must be in [0, 1], got -0.1")
    }

    @Test("tables")
    func tables() {
        #expect(invalid { try fisherExact([[1, 2, 3], [4, 5, 6]]) } == "fisherExact: table must be 2x2, got 2 rows of lengths [3, 3]")
        #expect(invalid { try fisherExact([[1, 2]]) } == "fisherExact: table must be 2x2, got 1 rows of lengths [2]")
        #expect(invalid { try fisherExact([[1, -2], [3, 4]]) } == "fisherExact: table[0][1] must be >= 0, got -2")
        #expect(invalid { try chi2Contingency([]) } == "chi2Contingency: table must have at least one row and one column")
        #expect(invalid { try chi2Contingency([[1, 2], [3]]) } == "chi2Contingency: table rows must have equal lengths; row 0 has 2, row 1 has 1")
        #expect(invalid { try chi2Contingency([[1, 2], [3, nan]]) } == "chi2Contingency: table[1][1] must be finite and >= 0, got nan")
        #expect(invalid { try chi2Contingency([[1, 2], [-3, 4]]) } == "chi2Contingency: table[1][0] must be finite and >= 0, got -3")
        #expect(insufficient { try chi2Contingency([[1, 2], [0, 0]]) } == "chi2Contingency: row 1 sums to 0, so its expected counts are 0")
        #expect(insufficient { try chi2Contingency([[0, 2], [0, 3]]) } == "chi2Contingency: column 0 sums to 0, so its expected counts are 0")
        #expect(invalid { try cramersV([[1, 2, 3]]) } == "cramersV: table must have at least 2 rows and 2 columns, got 1 rows of lengths [3]")
        #expect(insufficient { try cramersV([[1, 0], [2, 0]]) } == "cramersV: column 1 sums to 0, so its expected counts are 0")
    }

    @Test("samples")
    func samples() {
        #expect(insufficient { try welchT([1], [1, 2]) } == "welchT: x must have at least 2 observations, got 1")
        #expect(insufficient { try studentT([1, 2], []) } == "studentT: y must have at least 2 observations, got 0")
        #expect(invalid { try welchT([1, nan, 3], [1, 2]) } == "welchT: x[1] must be finite, got nan")
        #expect(invalid { try welchT([1, 2], [1, .infinity]) } == "welchT: y[1] must be finite, got inf")
        #expect(insufficient { try welchT([2, 2, 2], [5, 5]) } == "welchT: both samples are constant, so the standard error is 0 and t is undefined")
        #expect(insufficient { try mannWhitney([], [1]) } == "mannWhitney: x must have at least 1 observation, got 0")
        #expect(invalid { try mannWhitney([1, 2], [nan]) } == "mannWhitney: y[0] must be finite, got nan")
        let big = (0..<400).map(Double.init), shifted = (0..<400).map { Double($0) + 0.5 }
        #expect(invalid { try mannWhitney(big, shifted, method: .exact) }
                == "mannWhitney: samples of 400 and 400 values are too large for method exact (n1*n2*min(U, n1*n2 - U) > 2000000000); use asymptotic")
        // `.auto` with a tiny sample against a huge one falls back to the normal approximation.
        let r = try? mannWhitney([0.5, 1.5, 2.5], (0..<40_000).map { Double($0) / 100 })
        #expect(r?.method == .asymptotic)
        #expect(invalid { try binomTest(k: 1, n: 1 << 51) } == "binomTest: n must be <= 1125899906842624, got 2251799813685248")
        #expect(invalid { try fisherExact([[1, 2], [3, Int.max]]) } == "fisherExact: table[1][1] must be <= 1125899906842624, got \(Int.max)")
        #expect(insufficient { try permutationTest([1], [2, 3]) } == "permutationTest: x must have at least 2 observations, got 1")
        #expect(invalid { try permutationTest([1, 2], [2, 3], resamples: 0) } == "permutationTest: resamples must be >= 1, got 0")
        #expect(insufficient { try auc(positive: [1, 2], negative: [0.5]) } == "auc: negative must have at least 2 observations, got 1")
        #expect(invalid { try auc(positive: [1, 2], negative: [0.5, 0.1], level: 1.5) } == "auc: level must be in (0, 1), got 1.5")
        #expect(insufficient { try cohensD([1, 2], [3]) } == "cohensD: y must have at least 2 observations, got 1")
        #expect(insufficient { try hedgesG([1, 1], [3, 3]) } == "hedgesG: both samples are constant, so the pooled standard deviation is 0")
        #expect(insufficient { try rankBiserial([], [3]) } == "rankBiserial: x must have at least 1 observation, got 0")
        #expect(insufficient { try bootstrapCI([1], statistic: { $0[0] }) } == "bootstrapCI: x must have at least 2 observations, got 1")
        #expect(invalid { try bootstrapCI([1, 2], statistic: { $0[0] }, resamples: -5) } == "bootstrapCI: resamples must be >= 1, got -5")
        #expect(invalid { try bootstrapCI([1, 2], statistic: { $0[0] }, level: 0) } == "bootstrapCI: level must be in (0, 1), got 0")
        #expect(insufficient { try bootstrapCI([3, 3, 3, 3], statistic: { $0.reduce(0, +) }) }?.hasPrefix("bootstrapCI: the") == true)
    }

    @Test("power and sample size")
    func power() {
        #expect(invalid { try powerTwoProportions(p1: 0.2, p2: 1.2, n: 10) } == "powerTwoProportions: p2 must be in [0, 1], got 1.2")
        #expect(invalid { try powerTwoProportions(p1: 0.2, p2: 0.1, n: 0) } == "powerTwoProportions: n must be finite and > 0, got 0")
        #expect(invalid { try powerTwoProportions(p1: 0.2, p2: 0.1, n: 10, alpha: 0) } == "powerTwoProportions: alpha must be in (0, 1), got 0")
        #expect(invalid { try powerTwoProportions(p1: 0.2, p2: 0.1, n: 10, ratio: -1) } == "powerTwoProportions: ratio must be finite and > 0, got -1")
        #expect(invalid { try powerTTest(effectSize: nan, n: 10) } == "powerTTest: effectSize must be finite, got nan")
        #expect(invalid { try powerTTest(effectSize: 0.5, n: 1) } == "powerTTest: n must give n + ratio*n > 2 (df > 0), got n = 1")
        #expect(invalid { try sampleSizeTwoProportions(p1: 0.3, p2: 0.3) } == "sampleSizeTwoProportions: the effect size is 0, so no sample size reaches the power")
        #expect(invalid { try sampleSizeTwoProportions(p1: 0.3, p2: 0.2, power: 0.01) } == "sampleSizeTwoProportions: power must be > alpha (0.05), got 0.01")
        #expect(invalid { try sampleSizeTwoProportions(p1: 0.3, p2: 0.2, power: 1) } == "sampleSizeTwoProportions: power must be in (0, 1), got 1")
        #expect(invalid { try sampleSizeTTest(effectSize: -0.5, alternative: .greater) } == "sampleSizeTTest: the effect size is negative but the alternative is greater, so the power stays below alpha for every n")
        #expect(invalid { try sampleSizeTTest(effectSize: 0) } == "sampleSizeTTest: the effect size is 0, so no sample size reaches the power")
    }

    @Test("meta-analysis")
    func meta() {
        #expect(insufficient { try combinePValues([]) } == "combinePValues: p must have at least 1 value, got 0")
        #expect(invalid { try combinePValues([0.1, 1.2]) } == "combinePValues: p[1] must be in [0, 1], got 1.2")
        #expect(invalid { try combinePValues([0.1, nan]) } == "combinePValues: p[1] must be in [0, 1], got nan")
        #expect(invalid { try combinePValues([0.1, 0.2], weights: [1, 2]) } == "combinePValues: weights apply only to method stouffer, not fisher")
        #expect(invalid { try combinePValues([0.1, 0.2], method: .stouffer, weights: [1]) } == "combinePValues: weights must have one value per p-value (2), got 1")
        #expect(invalid { try combinePValues([0.1, 0.2], method: .stouffer, weights: [1, -1]) } == "combinePValues: weights[1] must be finite and >= 0, got -1")
        #expect(invalid { try combinePValues([0.1, 0.2], method: .stouffer, weights: [0, 0]) } == "combinePValues: weights must not all be 0")
        #expect(insufficient { try randomEffects(effects: [0.1], variances: [0.1]) } == "randomEffects: effects must have at least 2 observations, got 1")
        #expect(invalid { try randomEffects(effects: [0.1, 0.2], variances: [0.1]) } == "randomEffects: variances must have one value per effect (2), got 1")
        #expect(invalid { try randomEffects(effects: [0.1, 0.2], variances: [0.1, 0]) } == "randomEffects: variances[1] must be finite and > 0, got 0")
        #expect(invalid { try randomEffects(effects: [0.1, nan], variances: [0.1, 0.1]) } == "randomEffects: effects[1] must be finite, got nan")
        #expect(invalid { try randomEffects(effects: [0.1, 0.2], variances: [0.1, 0.1], level: -1) } == "randomEffects: level must be in (0, 1), got -1")
    }

    @Test("degenerate but valid inputs give defined results, never a crash")
    func degenerate() throws {
        // No successes at all: z undefined, p = 1 (documented).
        let z = try twoProportionZ(k1: 0, n1: 50, k2: 0, n2: 60)
        #expect(z.z == 0 && z.pvalue == 1)
        // Every value tied: the Mann–Whitney variance is 0; p = 1.
        #expect(try mannWhitney([2, 2, 2], [2, 2], method: .asymptotic).pvalue == 1)
        // An empty row in Fisher's test: p = 1, odds ratio NaN (scipy).
        let f = try fisherExact([[0, 0], [3, 4]])
        #expect(f.pvalue == 1 && f.oddsRatio.isNaN)
        // k = 0 and k = n intervals end exactly at 0 and 1.
        #expect(try wilsonCI(k: 0, n: 7).lower == 0 && wilsonCI(k: 7, n: 7).upper == 1)
        #expect(try clopperPearsonCI(k: 0, n: 7).lower == 0 && clopperPearsonCI(k: 7, n: 7).upper == 1)
        // Perfect separation: AUC 1 with a zero-width DeLong interval.
        let a = try auc(positive: [5, 6, 7], negative: [1, 2])
        #expect(a.auc == 1 && a.se == 0 && a.ci.lower == 1 && a.ci.upper == 1)
        // Identical studies: Q = 0, τ² = 0, I² = 0.
        let re = try randomEffects(effects: [0.3, 0.3, 0.3], variances: [0.01, 0.02, 0.03], method: .pm)
        #expect(re.q == 0 && re.tau2 == 0 && re.i2 == 0 && re.qPvalue == 1)
        // A 1×c table has dof 0: statistic 0, p-value 1 (scipy).
        let chi = try chi2Contingency([[1, 2, 3]])
        #expect(chi.dof == 0 && chi.statistic == 0 && chi.pvalue == 1)
        // Alternative names round-trip for the bindings.
        #expect(Alternative(rawValue: "two-sided") == .twoSided && Alternative(rawValue: "less") == .less)
        #expect(DiffProportionsMethod(rawValue: "agresti-caffo") == .agrestiCaffo)
    }
}
