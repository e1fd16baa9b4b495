// Shared helpers for the online FDR tests: the reference fixtures, a seeded RNG and simulated streams.

import Foundation
import Stats
import TestSupport

/// The fixtures written by Scripts/dev/make_onlinefdr_fixtures.py (PyPI online-fdr, scipy).
enum OnlineFDRFixtures {
    static let dir = Support.repoRoot.appendingPathComponent("Tests/Fixtures/stats/onlinefdr")

    /// A parameter value: a number or a flag.
    enum Scalar: Decodable {
        case number(Double)
        case flag(Bool)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .flag(b) } else { self = .number(try c.decode(Double.self)) }
        }

        var number: Double? { if case .number(let v) = self { return v } else { return nil } }
        var flag: Bool? { if case .flag(let v) = self { return v } else { return nil } }
    }

    struct Streams: Decodable {
        let p: [String: [Double]]
        let e: [String: [Double]]
    }

    struct Case: Decodable, CustomStringConvertible {
        let method: String
        let params: [String: Scalar]
        let name: String
        let stream: String
        /// [index, value] pairs planted on the case's own rejection boundary.
        let overrides: [[Double]]
        let alpha: [Double]
        let decisions: String

        var description: String {
            let ps = params.keys.sorted().map { k -> String in
                switch params[k]! {
                case .number(let v): return "\(k)=\(v)"
                case .flag(let b): return "\(k)=\(b)"
                }
            }
            return "\(name) (\(ps.joined(separator: ", ")))"
        }

        func number(_ key: String) -> Double { params[key]?.number ?? .nan }
        func flag(_ key: String) -> Bool { params[key]?.flag ?? false }
        var isEValue: Bool { method == "elond" }
    }

    struct CaseFile: Decodable { let cases: [Case] }

    struct BatchVector: Decodable, CustomStringConvertible {
        let name: String
        let p: [Double]
        let alpha: Double
        let lambda: Double
        let bh: [Double]
        let by: [Double]
        let bh_count: Int
        let by_count: Int
        let storey_count: Int
        var description: String { name }
    }

    struct BatchFile: Decodable { let vectors: [BatchVector] }

    static func load<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: dir.appendingPathComponent(name)))
    }

    static let streams: Streams? = try? load("streams.json", as: Streams.self)
    static let cases: [Case] = (try? load("cases.json", as: CaseFile.self).cases) ?? []
    static let batch: [BatchVector] = (try? load("batch.json", as: BatchFile.self).vectors) ?? []

    /// The case's input values: its stream with its overrides planted.
    static func values(_ c: Case) -> [Double] {
        var v = (c.isEValue ? streams?.e[c.stream] : streams?.p[c.stream]) ?? []
        for o in c.overrides { v[Int(o[0])] = o[1] }
        return v
    }

    /// The p-value procedure a case describes (nil for e-LOND).
    static func procedure(_ c: Case) throws -> (any OnlineFDRProcedure)? {
        switch c.method {
        case "saffron": return try Saffron(alpha: c.number("alpha"), w0: c.number("w0"), lambda: c.number("lambda"))
        case "lordpp": return try LordPlusPlus(alpha: c.number("alpha"), w0: c.number("w0"))
        case "addis":
            return try Addis(alpha: c.number("alpha"), w0: c.number("w0"), lambda: c.number("lambda"),
                             tau: c.number("tau"))
        case "lond": return try Lond(alpha: c.number("alpha"), dependent: c.flag("dependent"), original: c.flag("original"))
        case "gai": return try AlphaInvesting(alpha: c.number("alpha"), w0: c.number("w0"))
        default: return nil
        }
    }

    /// |a − b| ≤ 1e-12·|b|, or ≤ 1e-15 for tiny values.
    static func close(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= max(1e-12 * abs(b), 1e-15)
    }
}

/// SplitMix64: a small seeded generator for reproducible simulated streams.
struct SeededRNG: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal draw (Box–Muller).
    mutating func normal() -> Double {
        let u1 = 1 - uniform(), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Simulated streams with known truth.
enum SimulatedStream {
    /// One-sided normal-test p-values: null p ~ U(0, 1); non-null p = Φ̄(Z), Z ~ N(mu, 1).
    static func pValues(_ n: Int, pi1: Double, mu: Double, rng: inout SeededRNG) -> (p: [Double], null: [Bool]) {
        var p: [Double] = [], null: [Bool] = []
        p.reserveCapacity(n)
        null.reserveCapacity(n)
        for _ in 0..<n {
            let isNull = rng.uniform() >= pi1
            null.append(isNull)
            p.append(isNull ? rng.uniform() : 0.5 * erfc((mu + rng.normal()) / 2.0.squareRoot()))
        }
        return (p, null)
    }

    /// Gaussian likelihood-ratio e-values exp(mu·x − mu²/2): x ~ N(0, 1) (null) or N(mu, 1).
    static func eValues(_ n: Int, pi1: Double, mu: Double, rng: inout SeededRNG) -> (e: [Double], null: [Bool]) {
        var e: [Double] = [], null: [Bool] = []
        for _ in 0..<n {
            let isNull = rng.uniform() >= pi1
            null.append(isNull)
            let x = rng.normal() + (isNull ? 0 : mu)
            e.append(exp(mu * x - mu * mu / 2))
        }
        return (e, null)
    }
}

/// The message of a `StatsError.invalidArgument` thrown by `body`, or nil when it does not throw one.
func invalidArgumentMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let StatsError.invalidArgument(message) {
        return message
    } catch {
        return nil
    }
}
