import Foundation

/// The result of Fisher's exact test on a 2×2 table (`fisherExact`).
public struct FisherExactResult: HypothesisTestResult, Equatable {
    /// The sample odds ratio ad/bc of the table [[a, b], [c, d]]: +∞ when bc = 0 < ad, NaN when a
    /// row or column is empty (scipy's values).
    public let oddsRatio: Double
    /// The exact p-value.
    public let pvalue: Double
    /// The odds ratio (scipy's `statistic`).
    public var statistic: Double { oddsRatio }

    /// Compares two results; NaN odds ratios compare equal.
    public static func == (l: Self, r: Self) -> Bool {
        (l.oddsRatio == r.oddsRatio || (l.oddsRatio.isNaN && r.oddsRatio.isNaN)) && l.pvalue == r.pvalue
    }
}

/// Tests independence in a 2×2 table of counts with Fisher's exact (conditional) test.
///
/// Matches `scipy.stats.fisher_exact(table, alternative)`. With margins fixed, a = table[0][0]
/// is hypergeometric; `.less` is P(X ≤ a), `.greater` is P(X ≥ a) (odds ratio > 1), and
/// `.twoSided` sums the probabilities of all tables with P(X = x) ≤ P(X = a)·(1 + 10⁻¹⁴) — the
/// relative tolerance scipy uses (R uses 1 + 10⁻⁷). The tolerance is relative, never absolute, so
/// [[22, 0], [0, 102]] gives 7.2e-25 (not ~1e-7). A table with an empty row or column has
/// p-value 1 and a NaN odds ratio.
/// - Parameters:
///   - table: [[a, b], [c, d]], non-negative counts.
///   - alternative: the alternative hypothesis on the odds ratio (`.greater`: odds ratio > 1).
/// - Returns: the sample odds ratio ad/bc and the p-value.
/// - Throws: `StatsError.invalidArgument` when the table is not 2×2 or has a count below 0 or
///   above 2⁵⁰.
/// - Complexity: O(log n) hypergeometric evaluations.
public func fisherExact(_ table: [[Int]], alternative: Alternative = .twoSided) throws(StatsError) -> FisherExactResult {
    let function = "fisherExact"
    guard table.count == 2, table.allSatisfy({ $0.count == 2 }) else {
        throw .invalidArgument("\(function): table must be 2x2, got \(table.count) rows of lengths \(table.map(\.count))")
    }
    for i in 0..<2 {
        for j in 0..<2 where table[i][j] < 0 || table[i][j] > InputCheck.maxCount {
            let bound = table[i][j] < 0 ? ">= 0" : "<= \(InputCheck.maxCount)"
            throw .invalidArgument("\(function): table[\(i)][\(j)] must be \(bound), got \(table[i][j])")
        }
    }
    let a = table[0][0], b = table[0][1], c = table[1][0], d = table[1][1]
    if a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0 {
        return FisherExactResult(oddsRatio: .nan, pvalue: 1)
    }
    let oddsRatio = c > 0 && b > 0 ? Double(a) * Double(d) / (Double(c) * Double(b)) : .infinity
    let n1 = a + b, n2 = c + d, n = a + c
    let dist = try Hypergeometric(population: n1 + n2, successes: n1, draws: n)
    // Exact ties (the mirror table of a symmetric one) must compare equal. The log-space pmf is
    // accurate to ~1e-13 but not tie-preserving, so values within 1e-9 of P(X = a) are recomputed
    // by the prime-product pmf, which gives equal probabilities identical bits; elsewhere the
    // comparison with P(X = a)·(1 + 10⁻¹⁴) cannot be changed by the log-space error.
    func exact(_ x: Int) -> Double {
        HypergeometricPrimeProduct.pmf(population: n1 + n2, successes: n1, draws: n, k: x) ?? dist.pmf(Double(x))
    }
    let anchor = exact(a)
    func pmf(_ x: Int) -> Double {
        if x == a { return anchor }
        let f = dist.pmf(Double(x))
        return abs(f - anchor) <= 1e-9 * anchor ? exact(x) : f
    }
    var pvalue: Double
    switch alternative {
    case .less:
        pvalue = dist.cdf(Double(a))
    case .greater:
        pvalue = try Hypergeometric(population: n1 + n2, successes: n1, draws: b + d).cdf(Double(b))
    case .twoSided:
        let mode = Int((Double(n + 1) * Double(n1 + 1) / Double(n1 + n2 + 2)).rounded(.down))
        let pexact = pmf(a)
        let pmode = pmf(mode)
        let epsilon = 1e-14
        let gamma = 1 + epsilon
        if abs(pexact - pmode) / max(pexact, pmode) <= epsilon {
            return FisherExactResult(oddsRatio: oddsRatio, pvalue: 1)
        } else if a < mode {
            let plower = dist.cdf(Double(a))
            if pmf(n) > pexact * gamma { return FisherExactResult(oddsRatio: oddsRatio, pvalue: plower) }
            let guess = minLikelihoodSearch({ -pmf($0) }, -pexact * gamma, mode, n)
            pvalue = plower + dist.sf(Double(guess))
        } else {
            let pupper = dist.sf(Double(a - 1))
            if pmf(0) > pexact * gamma { return FisherExactResult(oddsRatio: oddsRatio, pvalue: pupper) }
            let guess = minLikelihoodSearch(pmf, pexact * gamma, 0, mode)
            pvalue = pupper + dist.cdf(Double(guess))
        }
    }
    return FisherExactResult(oddsRatio: oddsRatio, pvalue: min(pvalue, 1))
}
