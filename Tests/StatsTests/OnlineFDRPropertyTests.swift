// Invariants of the online FDR procedures: the oracle estimate FDP-hat stays ≤ alpha and the wealth
// stays ≥ 0 at every step; the empirical FDR over many simulated streams stays ≤ alpha (+3 s.e.).

import Foundation
import Stats
import Testing

@Suite("Online FDR: invariants")
struct OnlineFDRPropertyTests {
    /// A named procedure factory.
    struct Maker: CustomStringConvertible, Sendable {
        let description: String
        let alpha: Double
        let make: @Sendable () throws -> any OnlineFDRProcedure
    }

    static let makers: [Maker] = [
        Maker(description: "Saffron()", alpha: 0.05) { try Saffron() },
        Maker(description: "Saffron(0.1, w0 0.1, λ 0.2)", alpha: 0.1) { try Saffron(alpha: 0.1, w0: 0.1, lambda: 0.2) },
        Maker(description: "LordPlusPlus()", alpha: 0.05) { try LordPlusPlus() },
        Maker(description: "LordPlusPlus(0.2, w0 0.1)", alpha: 0.2) { try LordPlusPlus(alpha: 0.2, w0: 0.1) },
        Maker(description: "Addis()", alpha: 0.05) { try Addis() },
        Maker(description: "Addis(0.1, w0 0.01, λ 0.05, τ 1)", alpha: 0.1) {
            try Addis(alpha: 0.1, w0: 0.01, lambda: 0.05, tau: 1)
        },
        Maker(description: "Lond()", alpha: 0.05) { try Lond() },
        Maker(description: "Lond(modified)", alpha: 0.05) { try Lond(original: false) },
        Maker(description: "Lond(dependent)", alpha: 0.05) { try Lond(dependent: true) },
        Maker(description: "Lond(dependent, modified)", alpha: 0.05) { try Lond(dependent: true, original: false) },
        Maker(description: "AlphaInvesting()", alpha: 0.05) { try AlphaInvesting() },
        Maker(description: "AlphaInvesting(0.1, w0 0.09)", alpha: 0.1) { try AlphaInvesting(alpha: 0.1, w0: 0.09) },
    ]

    /// The fixture streams plus seeded simulated ones (sparse, dense and bursty signal).
    static let streams: [[Double]] = {
        var out = OnlineFDRFixtures.streams.map { s in s.p.keys.sorted().map { s.p[$0]! } } ?? []
        for (seed, pi1, mu) in [(1 as UInt64, 0.05, 3.0), (2, 0.3, 2.5), (3, 0.6, 4.0), (4, 0.0, 0.0)] {
            var rng = SeededRNG(seed: seed)
            out.append(SimulatedStream.pValues(2000, pi1: pi1, mu: mu, rng: &rng).p)
        }
        return out
    }()

    @Test("FDP-hat ≤ alpha and wealth ≥ 0 at every step", arguments: makers)
    func fdpHat(_ maker: Maker) throws {
        #expect(Self.streams.count >= 7)
        var maxRatio = 0.0
        for stream in Self.streams {
            let m = try maker.make()
            for p in stream {
                _ = try m.testOne(p)
                let s = m.state
                let fdp = try #require(s.fdpEstimate)
                maxRatio = max(maxRatio, fdp / maker.alpha)
                #expect(fdp <= maker.alpha * (1 + 1e-12), "t = \(s.t): FDP-hat \(fdp)")
                if let w = s.wealth { #expect(w >= -1e-15, "t = \(s.t): wealth \(w)") }
                if fdp > maker.alpha * (1 + 1e-12) { return }
            }
        }
        #expect(maxRatio > 0)
    }

    @Test("nextAlpha() is the level the next test uses and leaves the state alone", arguments: makers)
    func nextAlphaPeeks(_ maker: Maker) throws {
        let m = try maker.make()
        for p in Self.streams[0].prefix(500) {
            let before = m.state
            let peek = try m.nextAlpha()
            #expect(try m.nextAlpha() == peek)
            #expect(m.state == before)
            #expect(try m.testOne(p).alpha == peek)
        }
    }

    /// 10^4 seeded simulated streams of length 100 (values and null flags), flattened.
    struct Batch: Sendable {
        let values: [Double]
        let null: [Bool]
        static let length = 100, count = 10_000

        init(pi1: Double, seed: UInt64, eValues: Bool = false) {
            var rng = SeededRNG(seed: seed)
            let n = Self.length * Self.count
            (values, null) = eValues ? SimulatedStream.eValues(n, pi1: pi1, mu: 3, rng: &rng)
                                     : SimulatedStream.pValues(n, pi1: pi1, mu: 3, rng: &rng)
        }

        /// Mean FDP over the streams, and its standard error; `run` tests one stream.
        func empiricalFDR(_ run: (ArraySlice<Double>) throws -> [Bool]) rethrows -> (fdr: Double, se: Double) {
            var sum = 0.0, sumSq = 0.0
            for s in 0..<Self.count {
                let range = s * Self.length..<(s + 1) * Self.length
                let rejected = try run(values[range])
                var r = 0, v = 0
                for (k, i) in range.enumerated() where rejected[k] {
                    r += 1
                    if null[i] { v += 1 }
                }
                let fdp = Double(v) / Double(max(r, 1))
                sum += fdp
                sumSq += fdp * fdp
            }
            let n = Double(Self.count)
            let mean = sum / n
            return (mean, ((sumSq / n - mean * mean) / (n - 1)).squareRoot())
        }
    }

    /// The procedures simulated for the empirical FDR (defaults, and LOND's two extremes).
    static let fdrMakers = makers.filter {
        ["Saffron()", "LordPlusPlus()", "Addis()", "Lond()", "Lond(dependent, modified)", "AlphaInvesting()"]
            .contains($0.description)
    }

    static let nullBatch = Batch(pi1: 0, seed: 11)
    static let mixedBatch = Batch(pi1: 0.2, seed: 12)

    @Test("empirical FDR ≤ alpha + 3 s.e. over 10^4 streams of 100 (all nulls, and 20% non-nulls)",
          arguments: fdrMakers)
    func empiricalFDR(_ maker: Maker) throws {
        for (name, batch) in [("all nulls", Self.nullBatch), ("20% non-nulls", Self.mixedBatch)] {
            let (fdr, se) = try batch.empiricalFDR { values in
                let m = try maker.make()
                return try values.map { try m.testOne($0).rejected }
            }
            #expect(fdr <= maker.alpha + 3 * se, "\(name): FDR \(fdr) ± \(se)")
        }
    }

    @Test("e-LOND: empirical FDR ≤ alpha + 3 s.e. on likelihood-ratio e-values")
    func eLondFDR() throws {
        for (name, batch) in [("all nulls", Batch(pi1: 0, seed: 21, eValues: true)),
                              ("20% non-nulls", Batch(pi1: 0.2, seed: 22, eValues: true))] {
            let (fdr, se) = try batch.empiricalFDR { values in
                let m = try ELond()
                return try values.map { try m.testOne(e: $0).rejected }
            }
            #expect(fdr <= 0.05 + 3 * se, "\(name): FDR \(fdr) ± \(se)")
        }
    }
}
