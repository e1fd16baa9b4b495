// Fixture loading and comparison for the Stats tests (Tests/Fixtures/stats/*.json, written by
// Scripts/dev/make_stats_fixtures.py). Foundation and Stats only.

import Foundation
import Stats

/// The mpmath references and the helpers that compare against them.
enum StatsFixtures {
    /// The smallest positive normal double; references below it are expected to underflow.
    static let minNormal = 2.2250738585072014e-308

    /// Reads one fixture file as a JSON object.
    static func load(_ name: String, root: URL) throws -> [String: Any] {
        let url = root.appendingPathComponent("Tests/Fixtures/stats").appendingPathComponent(name)
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw StatsError.invalidArgument("\(name): not a JSON object")
        }
        return object
    }

    /// A reference or input value: a decimal string, an integer, or "inf"/"-inf"/"nan".
    static func number(_ value: Any?) -> Double? {
        if let s = value as? String { return Double(s) }
        if let n = value as? NSNumber { return n.doubleValue }
        return nil
    }

    /// A distribution made from a fixture entry.
    enum Subject {
        case continuous(any ContinuousDistribution)
        case discrete(any DiscreteDistribution)

        /// Evaluates a function by its fixture name (cdf, sf, logcdf, logsf, pdf, logpdf, pmf,
        /// logpmf, ppf, isf).
        func evaluate(_ function: String, _ x: Double) -> Double {
            switch self {
            case .continuous(let d):
                switch function {
                case "cdf": return d.cdf(x)
                case "sf": return d.sf(x)
                case "logcdf": return d.logcdf(x)
                case "logsf": return d.logsf(x)
                case "pdf": return d.pdf(x)
                case "logpdf": return d.logpdf(x)
                case "ppf": return d.ppf(x)
                case "isf": return d.isf(x)
                default: return .nan
                }
            case .discrete(let d):
                switch function {
                case "cdf": return d.cdf(x)
                case "sf": return d.sf(x)
                case "logcdf": return d.logcdf(x)
                case "logsf": return d.logsf(x)
                case "pmf": return d.pmf(x)
                case "logpmf": return d.logpmf(x)
                case "ppf": return d.ppf(x)
                case "isf": return d.isf(x)
                default: return .nan
                }
            }
        }

        var mean: Double {
            switch self {
            case .continuous(let d): return d.mean
            case .discrete(let d): return d.mean
            }
        }

        var variance: Double {
            switch self {
            case .continuous(let d): return d.variance
            case .discrete(let d): return d.variance
            }
        }
    }

    /// Builds the distribution named in a fixture entry.
    static func subject(_ entry: [String: Any]) throws -> Subject {
        let name = entry["name"] as? String ?? ""
        let p = entry["params"] as? [String: Any] ?? [:]
        func v(_ key: String) -> Double { number(p[key]) ?? .nan }
        func i(_ key: String) -> Int { Int(v(key)) }
        switch name {
        case "normal": return .continuous(try Normal(mean: v("mean"), sd: v("sd")))
        case "t": return .continuous(try StudentT(df: v("df")))
        case "chi2": return .continuous(try ChiSquared(df: v("df")))
        case "f": return .continuous(try FDistribution(df1: v("df1"), df2: v("df2")))
        case "beta": return .continuous(try BetaDistribution(a: v("a"), b: v("b")))
        case "gamma": return .continuous(try GammaDistribution(shape: v("shape"), scale: v("scale")))
        case "binomial": return .discrete(try Binomial(n: i("n"), p: v("p")))
        case "hypergeometric":
            return .discrete(try Hypergeometric(population: i("population"), successes: i("successes"),
                                                draws: i("draws")))
        default: throw StatsError.invalidArgument("unknown distribution \(name)")
        }
    }

    /// A short label for an entry, e.g. `beta(a=0.5, b=0.5)`.
    static func label(_ entry: [String: Any]) -> String {
        let p = entry["params"] as? [String: Any] ?? [:]
        let parts = p.keys.sorted().map { "\($0)=\(p[$0].map { "\($0)" } ?? "")" }
        return "\(entry["name"] as? String ?? "?")(\(parts.joined(separator: ", ")))"
    }

    /// The relative error of `got` against `reference`, with the conventions of the fixtures:
    /// NaN must match NaN, infinities must match exactly, a reference below the normal range
    /// (underflow) accepts any |got| below it, and a zero reference accepts |got| ≤ 1e-300.
    /// Returns 0 for a match of those special cases, +∞ for a mismatch.
    static func relativeError(_ got: Double, _ reference: Double) -> Double {
        if reference.isNaN { return got.isNaN ? 0 : .infinity }
        if got.isNaN { return .infinity }
        if reference.isInfinite { return got == reference ? 0 : .infinity }
        if reference == 0 { return abs(got) <= 1e-300 ? 0 : .infinity }
        if abs(reference) < minNormal { return abs(got) < minNormal ? 0 : .infinity }
        if got.isInfinite { return .infinity }
        return abs(got - reference) / abs(reference)
    }

    /// One comparison: where, what, and the error.
    struct Comparison {
        var label: String
        var function: String
        var input: Double
        var got: Double
        var reference: Double
        var error: Double
        var tolerance: Double
        var passed: Bool { error <= tolerance }
    }

    /// Compares every point, quantile and moment of every distribution in distributions.json.
    /// - Parameter quantileTolerance: the tolerance for a quantile of the given condition number.
    static func compareDistributions(_ json: [String: Any], tolerance: Double,
                                     quantileTolerance: (Double) -> Double) throws -> [Comparison] {
        var out: [Comparison] = []
        for entry in json["distributions"] as? [[String: Any]] ?? [] {
            let subject = try subject(entry)
            let label = label(entry)
            for row in entry["points"] as? [[String: Any]] ?? [] {
                guard let x = number(row["x"]) else { continue }
                for (key, value) in row where key != "x" {
                    guard let ref = number(value) else { continue }
                    let got = subject.evaluate(key, x)
                    // A log-density near 0 is a difference of logarithms of order 1: its absolute error
                    // is the relative error of the density, so it is measured against max(|ref|, 1).
                    let isLogDensity = key == "logpdf" || key == "logpmf"
                    let error = isLogDensity && abs(ref) < 1 ? abs(got - ref) : relativeError(got, ref)
                    out.append(Comparison(label: label, function: key, input: x, got: got, reference: ref,
                                          error: error, tolerance: tolerance))
                }
            }
            for row in entry["quantiles"] as? [[String: Any]] ?? [] {
                guard let p = number(row["p"]) else { continue }
                for key in ["ppf", "isf"] {
                    guard let ref = number(row[key]) else { continue }
                    if row[key + "_tie"] as? Bool == true { continue }
                    let cond = number(row[key + "_cond"]) ?? 0
                    let got = subject.evaluate(key, p)
                    out.append(Comparison(label: label, function: key, input: p, got: got, reference: ref,
                                          error: relativeError(got, ref),
                                          tolerance: quantileTolerance(cond.isFinite ? cond : 0)))
                }
            }
            for key in ["mean", "variance"] {
                guard let ref = number(entry[key]) else { continue }
                let got = key == "mean" ? subject.mean : subject.variance
                out.append(Comparison(label: label, function: key, input: .nan, got: got, reference: ref,
                                      error: relativeError(got, ref), tolerance: tolerance))
            }
        }
        return out
    }

    /// The worst error per (distribution name, function), formatted as a table.
    static func summary(_ comparisons: [Comparison]) -> String {
        var worst: [String: Comparison] = [:]
        for c in comparisons {
            let name = String(c.label.prefix(while: { $0 != "(" }))
            let key = "\(name) \(c.function)"
            if let w = worst[key], w.error >= c.error { continue }
            worst[key] = c
        }
        return worst.keys.sorted().map { key in
            let c = worst[key]!
            return String(format: "%-28@ %9.2e  at %@ x=%@", key as NSString, c.error, c.label as NSString,
                          "\(c.input)" as NSString)
        }.joined(separator: "\n")
    }
}

extension StatsFixtures {
    /// Compares every entry of special_functions.json.
    static func compareSpecialFunctions(_ json: [String: Any], tolerance: Double) -> [Comparison] {
        typealias SF = SpecialFunctions
        var out: [Comparison] = []
        func add(_ label: String, _ function: String, _ input: Double, _ got: Double, _ ref: Double?) {
            guard let ref else { return }
            out.append(Comparison(label: label, function: function, input: input, got: got, reference: ref,
                                  error: relativeError(got, ref), tolerance: tolerance))
        }
        func rows(_ key: String) -> [[String: Any]] { json[key] as? [[String: Any]] ?? [] }
        for r in rows("logGamma") {
            let x = number(r["x"])!
            add("logGamma", "logGamma", x, SF.logGamma(x), number(r["value"]))
        }
        for r in rows("logBeta") {
            let a = number(r["a"])!, b = number(r["b"])!
            add("logBeta(b=\(b))", "logBeta", a, SF.logBeta(a, b), number(r["value"]))
        }
        for r in rows("erf") { let x = number(r["x"])!; add("erf", "erf", x, SF.erf(x), number(r["value"])) }
        for r in rows("erfc") { let x = number(r["x"])!; add("erfc", "erfc", x, SF.erfc(x), number(r["value"])) }
        for r in rows("erfcx") { let x = number(r["x"])!; add("erfcx", "erfcx", x, SF.erfcx(x), number(r["value"])) }
        for r in rows("gamma") {
            let a = number(r["a"])!, x = number(r["x"])!
            add("gamma(a=\(a))", "P", x, SF.regularizedGammaP(a, x), number(r["p"]))
            add("gamma(a=\(a))", "Q", x, SF.regularizedGammaQ(a, x), number(r["q"]))
        }
        for r in rows("beta") {
            let a = number(r["a"])!, b = number(r["b"])!, x = number(r["x"])!
            add("beta(a=\(a), b=\(b))", "I", x, SF.regularizedBeta(x, a: a, b: b), number(r["value"]))
            add("beta(a=\(a), b=\(b))", "1-I", x, SF.regularizedBetaComplement(x, a: a, b: b), number(r["complement"]))
        }
        for r in rows("normalQuantile") {
            let p = number(r["p"])!
            add("normalQuantile", "normalQuantile", p, SF.normalQuantile(p), number(r["value"]))
        }
        return out
    }
}
