import Foundation

/// The result of Pearson's χ² test of independence (`chi2Contingency`).
public struct ChiSquareContingencyResult: HypothesisTestResult, Equatable {
    /// Pearson's χ² statistic Σ (O − E)²/E (after Yates' correction when it was applied).
    public let statistic: Double
    /// The p-value P(χ²_dof > statistic).
    public let pvalue: Double
    /// The degrees of freedom (r − 1)(c − 1).
    public let dof: Int
    /// The expected counts under independence, rowSum·columnSum/total, in the table's shape.
    public let expected: [[Double]]
    /// Whether Yates' continuity correction was applied (requested and dof = 1).
    public let corrected: Bool
}

/// Tests independence of the rows and columns of an r×c contingency table (Pearson's χ² test).
///
/// Matches `scipy.stats.chi2_contingency(table, correction)`: with `correction` (the default, as
/// in scipy) Yates' correction is applied only when dof = 1, moving each observed count towards
/// its expected count by min(½, |O − E|). A table with dof = 0 (a single row or column) gives
/// statistic 0 and p-value 1, as scipy.
/// - Parameters:
///   - table: the counts, r ≥ 1 rows of equal length c ≥ 1; finite and ≥ 0 (need not be integers).
///   - correction: whether to apply Yates' correction when dof = 1.
/// - Returns: χ², the p-value, dof and the expected counts.
/// - Throws: `StatsError.invalidArgument` for an empty or ragged table or a negative or non-finite
///   count; `StatsError.insufficientData` when a row or column sums to 0 (its expected counts are 0).
/// - Complexity: O(r·c).
public func chi2Contingency(_ table: [[Double]], correction: Bool = true) throws(StatsError) -> ChiSquareContingencyResult {
    let function = "chi2Contingency"
    let margins = try ContingencyTable.margins(table, function)
    let r = table.count, c = table[0].count
    var expected = [[Double]](repeating: [Double](repeating: 0, count: c), count: r)
    for i in 0..<r {
        for j in 0..<c { expected[i][j] = margins.rows[i] * margins.columns[j] / margins.total }
    }
    let dof = (r - 1) * (c - 1)
    if dof == 0 {
        return ChiSquareContingencyResult(statistic: 0, pvalue: 1, dof: 0, expected: expected, corrected: false)
    }
    let yates = correction && dof == 1
    var terms: [Double] = []
    terms.reserveCapacity(r * c)
    for i in 0..<r {
        for j in 0..<c {
            var observed = table[i][j]
            let e = expected[i][j]
            if yates {
                let diff = e - observed
                let magnitude = min(0.5, abs(diff))
                observed += diff > 0 ? magnitude : (diff < 0 ? -magnitude : 0)
            }
            let d = observed - e
            terms.append(d * d / e)
        }
    }
    let statistic = SampleSummary.sum(terms)
    let pvalue = try ChiSquared(df: Double(dof)).sf(statistic)
    return ChiSquareContingencyResult(statistic: statistic, pvalue: pvalue, dof: dof, expected: expected,
                                      corrected: yates)
}

/// Validation and margins of contingency tables.
enum ContingencyTable {
    /// The row sums, column sums and total of a validated table.
    /// - Throws: `StatsError.invalidArgument` for an empty, ragged, negative or non-finite table;
    ///   `StatsError.insufficientData` for a row or column summing to 0.
    static func margins(_ table: [[Double]], _ function: String) throws(StatsError)
        -> (rows: [Double], columns: [Double], total: Double) {
        guard let first = table.first, !first.isEmpty else {
            throw .invalidArgument("\(function): table must have at least one row and one column")
        }
        let c = first.count
        for (i, row) in table.enumerated() {
            guard row.count == c else {
                throw .invalidArgument("\(function): table rows must have equal lengths; row 0 has \(c), row \(i) has \(row.count)")
            }
            for (j, v) in row.enumerated() where !(v >= 0 && v.isFinite) {
                throw .invalidArgument("\(function): table[\(i)][\(j)] must be finite and >= 0, got \(ParameterCheck.format(v))")
            }
        }
        let rows = table.map { SampleSummary.sum($0) }
        let columns = (0..<c).map { j in SampleSummary.sum(table.map { $0[j] }) }
        for (i, s) in rows.enumerated() where s == 0 {
            throw .insufficientData("\(function): row \(i) sums to 0, so its expected counts are 0")
        }
        for (j, s) in columns.enumerated() where s == 0 {
            throw .insufficientData("\(function): column \(j) sums to 0, so its expected counts are 0")
        }
        return (rows, columns, SampleSummary.sum(rows))
    }
}
