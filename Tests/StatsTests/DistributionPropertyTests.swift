// Invariants of the distributions: complementary tails, inverse functions, monotonicity, symmetry.

import Foundation
import Testing
import Stats

/// The continuous distributions the property tests range over.
private let continuousCases: [(String, any ContinuousDistribution)] = {
    var out: [(String, any ContinuousDistribution)] = []
    func add(_ label: String, _ make: () throws -> any ContinuousDistribution) {
        if let d = try? make() { out.append((label, d)) }
    }
    add("Normal(0,1)") { Normal.standard }
    add("Normal(3,0.2)") { try Normal(mean: 3, sd: 0.2) }
    add("t(1)") { try StudentT(df: 1) }
    add("t(2.5)") { try StudentT(df: 2.5) }
    add("t(30)") { try StudentT(df: 30) }
    add("t(1e6)") { try StudentT(df: 1e6) }
    add("chi2(0.5)") { try ChiSquared(df: 0.5) }
    add("chi2(7)") { try ChiSquared(df: 7) }
    add("chi2(1000)") { try ChiSquared(df: 1000) }
    add("F(3,9)") { try FDistribution(df1: 3, df2: 9) }
    add("F(1e4,1e4)") { try FDistribution(df1: 1e4, df2: 1e4) }
    add("Beta(0.5,0.5)") { try BetaDistribution(a: 0.5, b: 0.5) }
    add("Beta(2,30)") { try BetaDistribution(a: 2, b: 30) }
    add("Beta(1e5,1e5)") { try BetaDistribution(a: 1e5, b: 1e5) }
    add("Gamma(0.01)") { try GammaDistribution(shape: 0.01) }
    add("Gamma(4,3)") { try GammaDistribution(shape: 4, scale: 3) }
    add("Gamma(1e4)") { try GammaDistribution(shape: 1e4) }
    return out
}()

private let continuousLabels = continuousCases.map(\.0)

private func continuous(_ label: String) -> any ContinuousDistribution {
    continuousCases.first { $0.0 == label }!.1
}

/// Points spread over the distribution: its quantiles at 1e-12 … 1 − 1e-12.
private func grid(_ d: any ContinuousDistribution) -> [Double] {
    let ps: [Double] = [1e-12, 1e-6, 1e-3, 0.02, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.98, 0.999, 1 - 1e-6]
    return ps.map { d.ppf($0) } + [1e-12, 1e-6].map { d.isf($0) }
}

@Suite("Distribution properties")
struct DistributionPropertyTests {
    @Test("cdf + sf = 1 and exp(logcdf) = cdf in the bulk", arguments: continuousLabels)
    func complementaryTails(_ label: String) {
        let d = continuous(label)
        for x in grid(d) where d.cdf(x) > 1e-3 && d.sf(x) > 1e-3 {
            #expect(abs(d.cdf(x) + d.sf(x) - 1) <= 4 * Double.ulpOfOne, "\(label) at \(x)")
            #expect(abs(exp(d.logcdf(x)) / d.cdf(x) - 1) <= 1e-14, "\(label) at \(x)")
            #expect(abs(exp(d.logsf(x)) / d.sf(x) - 1) <= 1e-14, "\(label) at \(x)")
            #expect(abs(exp(d.logpdf(x)) / d.pdf(x) - 1) <= 1e-13, "\(label) at \(x)")
        }
    }

    @Test("ppf inverts cdf and isf inverts sf", arguments: continuousLabels)
    func inverses(_ label: String) {
        let d = continuous(label)
        for x in grid(d) where x.isFinite && x != 0 {
            // Relative condition of x as a function of the tail probability t: t / (x f(x)).
            let lower = d.cdf(x), upper = d.sf(x)
            let t = min(lower, upper)
            let cond = t / abs(x * d.pdf(x))
            let tolerance = 1e-12 * max(1, cond)
            let back = lower <= upper ? d.ppf(lower) : d.isf(upper)
            #expect(abs(back - x) <= tolerance * abs(x), "\(label): x = \(x), back \(back), cond \(cond)")
        }
    }

    @Test("cdf rises, sf falls and ppf rises", arguments: continuousLabels)
    func monotone(_ label: String) {
        let d = continuous(label)
        let xs = grid(d).sorted()
        for (a, b) in zip(xs, xs.dropFirst()) where a < b {
            #expect(d.cdf(a) <= d.cdf(b), "\(label) cdf at \(a), \(b)")
            #expect(d.sf(a) >= d.sf(b), "\(label) sf at \(a), \(b)")
            #expect(d.logsf(a) >= d.logsf(b), "\(label) logsf at \(a), \(b)")
        }
        let ps = [1e-300, 1e-100, 1e-20, 1e-8, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-8, 1 - 1e-14]
        let qs = ps.map { d.ppf($0) }
        for (a, b) in zip(qs, qs.dropFirst()) { #expect(a <= b, "\(label) ppf \(a) > \(b)") }
        let us = ps.map { d.isf($0) }
        for (a, b) in zip(us, us.dropFirst()) { #expect(a >= b, "\(label) isf \(a) < \(b)") }
    }

    @Test("the normal and t distributions are symmetric", arguments: ["Normal(0,1)", "t(1)", "t(2.5)", "t(30)", "t(1e6)"])
    func symmetry(_ label: String) {
        let d = continuous(label)
        for x in [1e-9, 0.3, 1, 2.5, 7, 20, 37] {
            #expect(d.cdf(-x) == d.sf(x), "\(label) at \(x)")
            #expect(d.logcdf(-x) == d.logsf(x), "\(label) at \(x)")
            #expect(d.pdf(-x) == d.pdf(x), "\(label) at \(x)")
        }
        for p in [1e-300, 1e-20, 1e-8, 0.025, 0.3, 0.5] {
            #expect(d.ppf(p) == -d.isf(p), "\(label) at \(p)")
        }
        for k in 1...40 {  // dyadic p, so that 1 − p is exact
            let p = Double(sign: .plus, exponent: -k, significand: 1)
            #expect(d.ppf(p) == -d.ppf(1 - p), "\(label) at 2^-\(k)")
        }
        #expect(d.ppf(0.5) == 0)
        #expect(d.cdf(0) == 0.5)
    }

    @Test("the upper tail is computed directly, not as 1 − cdf")
    func directUpperTail() throws {
        #expect(Normal.standard.sf(9) == 1.1285884059538406e-19 || abs(Normal.standard.sf(9) / 1.1285884059538406e-19 - 1) < 1e-14)
        #expect(Normal.standard.sf(37) > 5.7e-300)
        #expect(try StudentT(df: 3).sf(1e5) > 0)
        #expect(try ChiSquared(df: 4).sf(1400) > 0)
        #expect(try BetaDistribution(a: 2, b: 3).sf(1 - 1e-12) > 0)
        #expect(try Binomial(n: 1000, p: 0.5).sf(900) > 0)
    }

    @Test("logcdf and logsf stay finite where the probabilities underflow")
    func logTails() throws {
        let n = Normal.standard
        #expect(n.sf(50) == 0)
        #expect(abs(n.logsf(50) / -1254.8313611394292 - 1) < 1e-14)
        #expect(abs(n.logcdf(-50) / -1254.8313611394292 - 1) < 1e-14)
        #expect(try GammaDistribution(shape: 2).logsf(1e4).isFinite)
        #expect(try StudentT(df: 4).logcdf(-1e200).isFinite)
    }

    @Test("NaN in gives NaN out")
    func nanPropagates() throws {
        let all: [any ContinuousDistribution] = continuousCases.map(\.1)
        for d in all {
            for value in [d.pdf(.nan), d.logpdf(.nan), d.cdf(.nan), d.sf(.nan), d.logcdf(.nan), d.logsf(.nan),
                          d.ppf(.nan), d.isf(.nan), d.ppf(-0.1), d.isf(1.5)] {
                #expect(value.isNaN)
            }
        }
        let discrete: [any DiscreteDistribution] = [try Binomial(n: 10, p: 0.3),
                                                    try Hypergeometric(population: 20, successes: 7, draws: 12)]
        for d in discrete {
            for value in [d.pmf(.nan), d.logpmf(.nan), d.cdf(.nan), d.sf(.nan), d.logcdf(.nan), d.logsf(.nan),
                          d.ppf(.nan), d.isf(.nan), d.ppf(2), d.isf(-1)] {
                #expect(value.isNaN)
            }
        }
    }

    @Test("ends of the support")
    func supportEnds() throws {
        let g = try GammaDistribution(shape: 0.5)
        #expect(g.cdf(-1) == 0 && g.sf(-1) == 1 && g.cdf(.infinity) == 1 && g.sf(.infinity) == 0)
        #expect(g.ppf(0) == 0 && g.ppf(1) == .infinity && g.isf(0) == .infinity && g.isf(1) == 0)
        #expect(g.pdf(0) == .infinity && g.pdf(-1) == 0)
        let b = try BetaDistribution(a: 1, b: 3)
        #expect(b.pdf(0) == 3 && b.pdf(1) == 0 && b.cdf(1) == 1 && b.sf(0) == 1)
        #expect(b.ppf(0) == 0 && b.ppf(1) == 1)
        #expect(Normal.standard.ppf(0) == -.infinity && Normal.standard.ppf(1) == .infinity)
        #expect(try StudentT(df: 3).cdf(-.infinity) == 0)
        #expect(try FDistribution(df1: 2, df2: 7).pdf(0) == 1)
        // Arguments far beyond any tail: exact 0/1 and finite logs, never NaN.
        let n = Normal.standard
        #expect(n.pdf(1e200) == 0 && n.logpdf(1e200) == -.infinity && n.sf(1e200) == 0 && n.cdf(-1e200) == 0)
        #expect(n.logsf(1e200) == -.infinity && n.logcdf(1e200) == 0)
        let heavy = try StudentT(df: 0.5)  // sf ≈ C/√t: still 1e-150 at t = 1e300
        #expect(heavy.sf(1e300) > 1e-160 && heavy.logpdf(1e300).isFinite && heavy.pdf(1e300) == 0)
    }
}

@Suite("Discrete distribution properties")
struct DiscretePropertyTests {
    static let cases: [String] = ["Binomial(10,0.3)", "Binomial(1000,0.001)", "Binomial(1e6,0.5)",
                                  "Hypergeometric(20,7,12)", "Hypergeometric(10000,4000,3000)"]

    static func make(_ label: String) throws -> any DiscreteDistribution {
        switch label {
        case "Binomial(10,0.3)": return try Binomial(n: 10, p: 0.3)
        case "Binomial(1000,0.001)": return try Binomial(n: 1000, p: 0.001)
        case "Binomial(1e6,0.5)": return try Binomial(n: 1_000_000, p: 0.5)
        case "Hypergeometric(20,7,12)": return try Hypergeometric(population: 20, successes: 7, draws: 12)
        default: return try Hypergeometric(population: 10000, successes: 4000, draws: 3000)
        }
    }

    /// Up to 60 values of k spread over the support.
    static func ks(_ d: any DiscreteDistribution) -> [Int] {
        let s = d.support
        let lo = max(s.lowerBound, Int(d.mean - 8 * d.variance.squareRoot()))
        let hi = min(s.upperBound, Int(d.mean + 8 * d.variance.squareRoot()) + 1)
        let step = max(1, (hi - lo) / 60)
        return Array(stride(from: lo, through: hi, by: step))
    }

    @Test("cdf is the running sum of pmf and cdf + sf = 1", arguments: cases)
    func sums(_ label: String) throws {
        let d = try Self.make(label)
        var running = 0.0
        var k = d.support.lowerBound
        if d.support.count <= 2000 {
            while k <= d.support.upperBound {
                running += d.pmf(Double(k))
                if running > 1e-3, running < 0.999 {
                    #expect(abs(d.cdf(Double(k)) / running - 1) < 1e-12, "\(label) at \(k)")
                }
                k += 1
            }
            #expect(abs(running - 1) < 1e-12)
        }
        for k in Self.ks(d) {
            let c = d.cdf(Double(k)), s = d.sf(Double(k))
            if c > 1e-3, s > 1e-3 { #expect(abs(c + s - 1) <= 4 * Double.ulpOfOne, "\(label) at \(k)") }
        }
    }

    @Test("ppf and isf invert cdf and sf; non-integers floor", arguments: cases)
    func inverses(_ label: String) throws {
        let d = try Self.make(label)
        for k in Self.ks(d) where d.pmf(Double(k)) > 1e-280 {
            let c = d.cdf(Double(k)), s = d.sf(Double(k))
            if c < 0.5 { #expect(d.ppf(c) == Double(k), "\(label) ppf(cdf(\(k)))") }
            if s < 0.5, s > 0 { #expect(d.isf(s) == Double(k), "\(label) isf(sf(\(k)))") }
            #expect(d.cdf(Double(k) + 0.5) == c)
            #expect(d.pmf(Double(k) + 0.5) == 0)
        }
        let s = d.support
        #expect(d.ppf(0) == Double(s.lowerBound - 1))
        #expect(d.ppf(1) == Double(s.upperBound))
        #expect(d.isf(0) == Double(s.upperBound))
        #expect(d.isf(1) == Double(s.lowerBound - 1))
        #expect(d.cdf(Double(s.lowerBound) - 1) == 0 && d.sf(Double(s.upperBound)) == 0)
    }

    @Test("hypergeometric parameters map to scipy's hypergeom(M, n, N)")
    func scipyNaming() throws {
        // scipy.stats.hypergeom(M=20, n=7, N=12): pmf(4) = 0.35758513931888547, mean 4.2, var 1.1494736842105264
        let h = try Hypergeometric(population: 20, successes: 7, draws: 12)
        #expect(abs(h.pmf(4) / 0.35758513931888547 - 1) < 1e-14)
        #expect(abs(h.mean - 4.2) < 1e-15 && abs(h.variance / 1.1494736842105264 - 1) < 1e-14)
        #expect(h.support == 0...7)
    }

    @Test("degenerate binomials")
    func degenerate() throws {
        let zero = try Binomial(n: 10, p: 0)
        #expect(zero.pmf(0) == 1 && zero.cdf(0) == 1 && zero.sf(0) == 0 && zero.ppf(0.5) == 0)
        let one = try Binomial(n: 10, p: 1)
        #expect(one.pmf(10) == 1 && one.cdf(9) == 0 && one.sf(9) == 1 && one.ppf(0.5) == 10)
        let empty = try Binomial(n: 0, p: 0.5)
        #expect(empty.pmf(0) == 1 && empty.cdf(0) == 1)
    }
}
