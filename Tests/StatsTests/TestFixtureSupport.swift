// Loading of the hypothesis-test, interval, power and meta-analysis fixtures
// (Tests/Fixtures/stats/{hypothesis_tests,intervals,power_meta}.json, written by
// Scripts/dev/make_test_fixtures.py from scipy and statsmodels) and the comparison against them.

import Foundation
import Testing
import TestSupport
import Stats

/// One fixture entry, read leniently: doubles are strings (or numbers), counts are integers.
struct FixtureCase: CustomStringConvertible {
    let raw: [String: Any]

    /// The double under `key` (NaN when absent).
    func d(_ key: String) -> Double { StatsFixtures.number(raw[key]) ?? .nan }
    /// The doubles under `key`.
    func ds(_ key: String) -> [Double] { (raw[key] as? [Any] ?? []).map { StatsFixtures.number($0) ?? .nan } }
    /// The integer under `key`.
    func i(_ key: String) -> Int { (raw[key] as? NSNumber)?.intValue ?? Int.min }
    /// The string under `key`.
    func s(_ key: String) -> String { raw[key] as? String ?? "" }
    /// The flag under `key`.
    func b(_ key: String) -> Bool { (raw[key] as? NSNumber)?.boolValue ?? false }
    /// The table of doubles under `key`.
    func doubleTable(_ key: String) -> [[Double]] {
        (raw[key] as? [[Any]] ?? []).map { $0.map { StatsFixtures.number($0) ?? .nan } }
    }
    /// The table of integers under `key`.
    func intTable(_ key: String) -> [[Int]] { (raw[key] as? [[NSNumber]] ?? []).map { $0.map(\.intValue) } }
    /// The alternative under "alternative".
    var alternative: Alternative { Alternative(rawValue: s("alternative"))! }

    var description: String {
        let keys = ["label", "method", "alternative", "k", "n", "p", "k1", "n1", "k2", "n2", "table", "level",
                    "statistic", "effect_size", "p1", "p2", "df", "nc", "t"]
        let parts = keys.compactMap { k -> String? in raw[k].map { "\(k)=\($0)" } }
        return "{" + parts.joined(separator: ", ").replacingOccurrences(of: "\n", with: "") + "}"
    }
}

enum TestFixtures {
    /// The entries of `section` in the fixture file `file`.
    static func cases(_ file: String, _ section: String) throws -> [FixtureCase] {
        let json = try StatsFixtures.load(file, root: Support.repoRoot)
        let list = json[section] as? [[String: Any]] ?? []
        return list.map(FixtureCase.init(raw:))
    }

    /// The reference versions recorded in `file`.
    static func versions(_ file: String) throws -> String {
        let json = try StatsFixtures.load(file, root: Support.repoRoot)
        return "scipy \(json["scipy"] ?? "?"), statsmodels \(json["statsmodels"] ?? "?")"
    }
}

/// Compares values with references to a relative tolerance and records every failure as an issue.
///
/// |got − ref| ≤ tolerance·|ref|; a reference of exactly 0 requires |got| ≤ `zeroTolerance`;
/// NaN must match NaN and an infinity must match exactly.
struct ReferenceCheck {
    let tolerance: Double
    var zeroTolerance: Double = 1e-300
    private(set) var count = 0
    private(set) var worst = 0.0
    private(set) var worstLabel = ""

    init(tolerance: Double = 1e-10, zeroTolerance: Double = 1e-300) {
        self.tolerance = tolerance
        self.zeroTolerance = zeroTolerance
    }

    /// The relative error under the conventions above (0 or ∞ for the special cases).
    func error(_ got: Double, _ ref: Double) -> Double {
        if ref.isNaN { return got.isNaN ? 0 : .infinity }
        if got.isNaN { return .infinity }
        if ref.isInfinite { return got == ref ? 0 : .infinity }
        if ref == 0 { return abs(got) <= zeroTolerance ? 0 : .infinity }
        return abs(got - ref) / abs(ref)
    }

    /// Checks one value.
    mutating func check(_ got: Double, _ ref: Double, _ what: String, _ c: CustomStringConvertible,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let e = error(got, ref)
        count += 1
        if e > worst || worstLabel.isEmpty {
            worst = max(worst, e)
            worstLabel = "\(what) \(c)"
        }
        if !(e <= tolerance) {
            Issue.record("\(what): got \(got), reference \(ref), relative error \(e) > \(tolerance) for \(c)",
                         sourceLocation: sourceLocation)
        }
    }

    /// A one-line summary for the test log.
    var summary: String { "\(count) comparisons, worst relative error \(worst) (\(worstLabel.prefix(160)))" }
}
