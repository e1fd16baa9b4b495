// Seeded Monte-Carlo checks of the minimum-effect tests: the rejection rate at α = 0.05 on the
// boundary of H0 (true effect = margin) is at most α + 3 Monte-Carlo SE (and not grossly
// conservative), far below α inside H0 (no difference), and high well beyond the margin; and
// `minimumEffectSampleSize` reaches the simulated power within a few points. Plus the degenerate
// inputs and the argument errors.

import Foundation
import Testing
import Stats

@Suite("Minimum-effect tests: calibration, power and degenerate inputs")
struct MinimumEffectCalibrationTests {
    static let alpha = 0.05
    static let replicates = 2000
    /// α + 3·√(α(1 − α)/replicates): 0.0646.
    static let boundaryLimit = 0.05 + 3 * (0.05 * 0.95 / 2000).squareRoot()

    /// Draws one data set.
    typealias Draw = (inout SeededGenerator) -> (base: [Double], model: [Double])

    /// The fraction of replicates whose increase p-value is below α.
    static func rejectionRate(seed: UInt64, replicates: Int = replicates, _ draw: Draw,
                              _ test: ([Double], [Double]) throws -> Double) rethrows -> Double {
        var rng = SeededGenerator(seed: seed)
        var rejected = 0
        for _ in 0..<replicates {
            let (b, m) = draw(&rng)
            if try test(b, m) < alpha { rejected += 1 }
        }
        return Double(rejected) / Double(replicates)
    }

    static func bernoulli(_ n: Int, _ p: Double, _ rng: inout SeededGenerator) -> [Double] {
        (0..<n).map { _ in rng.nextDouble() < p ? 1 : 0 }
    }

    /// Paired 0/1 outcomes with marginal rates p0 (base), p1 (model) and phi correlation rho.
    static func pairedBernoulli(_ n: Int, _ p0: Double, _ p1: Double, _ rho: Double,
                                _ rng: inout SeededGenerator) -> ([Double], [Double]) {
        let p11 = p0 * p1 + rho * (p0 * (1 - p0) * p1 * (1 - p1)).squareRoot()
        let p10 = p0 - p11, p01 = p1 - p11
        var base: [Double] = [], model: [Double] = []
        for _ in 0..<n {
            let u = rng.nextDouble()
            if u < p11 { base.append(1); model.append(1) }
            else if u < p11 + p10 { base.append(1); model.append(0) }
            else if u < p11 + p10 + p01 { base.append(0); model.append(1) }
            else { base.append(0); model.append(0) }
        }
        return (base, model)
    }

    static func normals(_ n: Int, _ mean: Double, _ rng: inout SeededGenerator) -> [Double] {
        (0..<n).map { _ in mean + rng.nextNormal() }
    }

    /// Boundary, interior and power rates for one test; records them and checks the limits.
    static func calibrate(_ name: String, boundary: Draw, interior: Draw, beyond: Draw, minPower: Double,
                          _ test: ([Double], [Double]) throws -> Double) throws {
        let atBoundary = try rejectionRate(seed: 11, boundary, test)
        let inside = try rejectionRate(seed: 12, interior, test)
        let power = try rejectionRate(seed: 13, beyond, test)
        print("[calibration \(name)] boundary \(atBoundary), interior \(inside), power \(power)")
        #expect(atBoundary <= boundaryLimit, "\(name): rejection rate \(atBoundary) at the boundary exceeds \(boundaryLimit)")
        #expect(atBoundary >= 0.025, "\(name): rejection rate \(atBoundary) at the boundary is far below alpha")
        #expect(inside <= 0.01, "\(name): rejection rate \(inside) with no difference")
        #expect(power >= minPower, "\(name): power \(power) below \(minPower)")
    }

    @Test("unpaired rates: Miettinen–Nurminen at margin 0.05, n = 200 per group")
    func unpairedRates() throws {
        try Self.calibrate("rate", boundary: { (Self.bernoulli(200, 0.3, &$0), Self.bernoulli(200, 0.35, &$0)) },
                           interior: { (Self.bernoulli(200, 0.3, &$0), Self.bernoulli(200, 0.3, &$0)) },
                           beyond: { (Self.bernoulli(200, 0.3, &$0), Self.bernoulli(200, 0.5, &$0)) }, minPower: 0.85) { b, m in
            try MinimumEffect.rateUnpaired(base: b, model: m, margin: 0.05, direction: .increase, level: 0.95, interval: false).pvalue
        }
    }

    @Test("paired rates: Tango's score at margin 0.05, 200 pairs, correlation 0.5")
    func pairedRates() throws {
        try Self.calibrate("paired rate", boundary: { Self.pairedBernoulli(200, 0.3, 0.35, 0.5, &$0) },
                           interior: { Self.pairedBernoulli(200, 0.3, 0.3, 0.5, &$0) },
                           beyond: { Self.pairedBernoulli(200, 0.3, 0.5, 0.5, &$0) }, minPower: 0.95) { b, m in
            try MinimumEffect.ratePaired(base: b, model: m, margin: 0.05, direction: .increase, level: 0.95, interval: false).pvalue
        }
    }

    @Test("unpaired means: noncentral t at margin d = 0.2, n = 200 per group")
    func unpairedMeans() throws {
        try Self.calibrate("mean", boundary: { (Self.normals(200, 0, &$0), Self.normals(200, 0.2, &$0)) },
                           interior: { (Self.normals(200, 0, &$0), Self.normals(200, 0, &$0)) },
                           beyond: { (Self.normals(200, 0, &$0), Self.normals(200, 0.6, &$0)) }, minPower: 0.95) { b, m in
            try MinimumEffect.meanUnpaired(base: b, model: m, margin: 0.2, direction: .increase, level: 0.95, interval: false).pvalue
        }
    }

    @Test("paired means: noncentral t at margin d_z = 0.2, 100 pairs")
    func pairedMeans() throws {
        // d = model − base ~ N(δ, 1) exactly when model = base + N(δ, 1).
        func pairs(_ shift: Double) -> Draw {
            { rng in
                let b = Self.normals(100, 0, &rng)
                return (b, b.map { $0 + shift + rng.nextNormal() })
            }
        }
        try Self.calibrate("paired mean", boundary: pairs(0.2), interior: pairs(0), beyond: pairs(0.6), minPower: 0.95) { b, m in
            try MinimumEffect.meanPaired(base: b, model: m, margin: 0.2, direction: .increase, level: 0.95, interval: false).pvalue
        }
    }

    @Test("the public test gives the same p-value as the calibrated core, and 'either' is twice the smaller side")
    func publicMatchesCore() throws {
        var rng = SeededGenerator(seed: 5)
        let b = Self.bernoulli(150, 0.3, &rng), m = Self.bernoulli(150, 0.45, &rng)
        let inc = try minimumEffectTest(base: b, model: m, minEffect: 0.05, direction: .increase)
        let dec = try minimumEffectTest(base: b, model: m, minEffect: 0.05, direction: .decrease)
        let either = try minimumEffectTest(base: b, model: m, minEffect: 0.05)
        #expect(inc.kind == .rate && !inc.paired && inc.minEffect == 0.05)
        #expect(inc.pvalue == (try MinimumEffect.rateUnpaired(base: b, model: m, margin: 0.05, direction: .increase, level: 0.95)).pvalue)
        #expect(either.pvalue == min(1, 2 * min(inc.pvalue, dec.pvalue)))
        // The one-sided interval excludes the margin exactly when p < 1 − level.
        #expect((inc.ci.lower > 0.05) == (inc.pvalue < 0.05) && inc.ci.upper == 1)
        #expect(dec.ci.lower == -1 && either.ci.lower < inc.ci.lower)
        // Default margins and kind detection.
        let means = try minimumEffectTest(base: [1.5, 2.5, 3.0], model: [2.0, 3.5, 4.0])
        #expect(means.kind == .mean && means.minEffect == 0.2 && means.test == "noncentral t (pooled)")
    }

    @Test("minimumEffectSampleSize reaches the simulated power within 5 points")
    func sampleSizeMatchesSimulation() throws {
        struct Design { let name: String; let size: MinimumEffectSampleSize; let draw: (Int) -> Draw
            let test: ([Double], [Double]) throws -> Double }
        let rate = try minimumEffectSampleSize(kind: .rate, expectedEffect: 0.15, minEffect: 0.05, baseRate: 0.3)
        let pairedRate = try minimumEffectSampleSize(kind: .rate, expectedEffect: 0.15, minEffect: 0.05, paired: true,
                                                     baseRate: 0.3, correlation: 0.5)
        let mean = try minimumEffectSampleSize(kind: .mean, expectedEffect: 0.6, minEffect: 0.2)
        let pairedMean = try minimumEffectSampleSize(kind: .mean, expectedEffect: 0.6, minEffect: 0.2, paired: true)
        let designs = [
            Design(name: "rate", size: rate, draw: { n in { (Self.bernoulli(n, 0.3, &$0), Self.bernoulli(n, 0.45, &$0)) } }) {
                try MinimumEffect.rateUnpaired(base: $0, model: $1, margin: 0.05, direction: .increase, level: 0.95, interval: false).pvalue
            },
            Design(name: "paired rate", size: pairedRate, draw: { n in { Self.pairedBernoulli(n, 0.3, 0.45, 0.5, &$0) } }) {
                try MinimumEffect.ratePaired(base: $0, model: $1, margin: 0.05, direction: .increase, level: 0.95, interval: false).pvalue
            },
            Design(name: "mean", size: mean, draw: { n in { (Self.normals(n, 0, &$0), Self.normals(n, 0.6, &$0)) } }) {
                try MinimumEffect.meanUnpaired(base: $0, model: $1, margin: 0.2, direction: .increase, level: 0.95, interval: false).pvalue
            },
            Design(name: "paired mean", size: pairedMean, draw: { n in { rng in
                let b = Self.normals(n, 0, &rng)
                return (b, b.map { $0 + 0.6 + rng.nextNormal() })
            } }) {
                try MinimumEffect.meanPaired(base: $0, model: $1, margin: 0.2, direction: .increase, level: 0.95, interval: false).pvalue
            },
        ]
        for d in designs {
            let simulated = try Self.rejectionRate(seed: 21, replicates: 1000, d.draw(d.size.n), d.test)
            print("[sample size \(d.name)] n \(d.size.n), predicted power \(d.size.power), simulated \(simulated)")
            #expect(d.size.power >= 0.8 && d.size.power < 0.83, "\(d.name)")
            #expect(abs(simulated - d.size.power) <= 0.05, "\(d.name): simulated power \(simulated) vs \(d.size.power) at n = \(d.size.n)")
        }
        #expect(throws: StatsError.self) { try minimumEffectSampleSize(kind: .rate, expectedEffect: 0.05, minEffect: 0.05) }
        #expect(throws: StatsError.self) { try minimumEffectSampleSize(kind: .mean, expectedEffect: 0.5, minEffect: 0.2, correlation: 0.3) }
        #expect(throws: StatsError.self) {
            try minimumEffectSampleSize(kind: .rate, expectedEffect: 0.4, minEffect: 0, paired: true, baseRate: 0.1, correlation: 0.9)
        }
    }

    @Test("degenerate inputs give defined results, never NaN")
    func degenerate() throws {
        func finite(_ r: MinimumEffectResult, _ what: String) {
            #expect(!r.pvalue.isNaN && !r.pZero.isNaN && !r.effect.isNaN && !r.ci.lower.isNaN && !r.ci.upper.isNaN
                    && !r.statistic.isNaN, "\(what): \(r)")
            #expect(r.pvalue >= 0 && r.pvalue <= 1 && r.pZero >= 0 && r.pZero <= 1, "\(what)")
        }
        for direction in EffectDirection.allCases {
            for margin in [0.0, 0.05] {
                // Rates all 0, all 1, and 0 against 1.
                for (b, m) in [([0.0, 0, 0], [0.0, 0, 0]), ([1.0, 1, 1], [1.0, 1, 1]), ([0.0, 0], [1.0, 1])] {
                    finite(try minimumEffectTest(base: b, model: m, minEffect: margin, direction: direction), "rate \(b) \(m)")
                    finite(try minimumEffectTest(base: b, model: m, paired: true, minEffect: margin, direction: direction),
                           "paired rate \(b) \(m)")
                }
                // Constant measures: equal (t = 0) and different (t = ±∞).
                for (b, m) in [([2.5, 2.5, 2.5], [2.5, 2.5, 2.5]), ([2.5, 2.5], [3.5, 3.5])] {
                    finite(try minimumEffectTest(base: b, model: m, minEffect: margin, direction: direction), "mean \(b) \(m)")
                    finite(try minimumEffectTest(base: b, model: m, paired: true, minEffect: margin, direction: direction),
                           "paired mean \(b) \(m)")
                }
            }
        }
        let same = try minimumEffectTest(base: [0, 0, 0], model: [0, 0, 0], minEffect: 0, direction: .increase)
        #expect(same.pvalue == 1 && same.effect == 0)
        let noDiscordant = try minimumEffectTest(base: [1, 0, 1], model: [1, 0, 1], paired: true, minEffect: 0.05, direction: .increase)
        #expect(noDiscordant.pvalue > 0.5 && noDiscordant.pZero == 1)
        let shifted = try minimumEffectTest(base: [2.5, 2.5], model: [3.5, 3.5], minEffect: 0.2, direction: .increase)
        #expect(shifted.effect == .infinity && shifted.pvalue == 0)
        let flat = try minimumEffectTest(base: [2.5, 2.5], model: [2.5, 2.5], minEffect: 0.2, direction: .increase)
        #expect(flat.effect == 0 && flat.pvalue == 1 && flat.pZero == 1)
    }

    @Test("bad arguments are errors naming the argument")
    func validation() {
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let e as StatsError { return e.message } catch { return "\(error)" }
            return "no error"
        }
        #expect(message { _ = try minimumEffectTest(base: [1], model: [0, 1]) }.contains("base must have at least 2"))
        #expect(message { _ = try minimumEffectTest(base: [1, 0], model: [0, 1, 1], paired: true) }.contains("same length"))
        #expect(message { _ = try minimumEffectTest(base: [1, 0], model: [0, 0.5], kind: .rate) }.contains("model[1] must be 0 or 1"))
        #expect(message { _ = try minimumEffectTest(base: [1, 0], model: [0, 1], minEffect: -0.1) }.contains("minEffect"))
        #expect(message { _ = try minimumEffectTest(base: [1, 0], model: [0, 1], minEffect: 1) }.contains("minEffect"))
        #expect(message { _ = try minimumEffectTest(base: [1, .nan], model: [0, 1]) }.contains("base[1] must be finite"))
        #expect(message { _ = try minimumEffectTest(base: [1, 0], model: [0, 1], level: 1) }.contains("level"))
        #expect(message { _ = try mcnemar(b: -1, c: 2) }.contains("b must be"))
        #expect(message { _ = try signTest([]) }.contains("differences must have at least 1"))
        #expect(message { _ = try wilcoxonSignedRank([1, 2], [1]) }.contains("same length"))
        #expect(message { _ = try minimumEffectSampleSize(kind: .rate, expectedEffect: 0.6, minEffect: 0.1, baseRate: 0.5) }
            .contains("baseRate + expectedEffect"))
    }
}
