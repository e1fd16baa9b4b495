/// Family-wise error rate control for a batch of p-values: Holm's step-down and Bonferroni.
public enum FamilywiseError {
    /// A family-wise procedure.
    public enum Method: String, Sendable, CaseIterable {
        /// Holm (1979): p̃_(i) = max_{j≤i} min(1, (m − j + 1)·p_(j)); uniformly more powerful than Bonferroni.
        case holm
        /// Bonferroni: p̃_i = min(1, m·p_i).
        case bonferroni
    }

    /// Adjusts a batch of p-values and decides which hypotheses to reject at family-wise level alpha.
    ///
    /// Adjusted values equal statsmodels' `multipletests(p, method="holm"|"bonferroni")`;
    /// `rejected[i]` is `adjusted[i] ≤ alpha`. Results follow the input order.
    /// - Parameters:
    ///   - p: The p-values, each in [0, 1].
    ///   - method: Holm by default.
    ///   - alpha: The family-wise level, in (0, 1).
    /// - Throws: `StatsError.invalidArgument` for a p-value outside [0, 1] or NaN, or alpha outside (0, 1).
    /// - Complexity: O(m log m).
    public static func adjust(_ p: [Double], method: Method = .holm, alpha: Double = 0.05) throws(StatsError)
        -> (rejected: [Bool], adjusted: [Double]) {
        guard alpha > 0, alpha < 1 else {
            throw .invalidArgument("FamilywiseError.adjust: alpha must be in (0, 1), got \(alpha)")
        }
        for (i, v) in p.enumerated() where !(v >= 0 && v <= 1) {
            throw .invalidArgument("FamilywiseError.adjust: p[\(i)] must be a number in [0, 1], got \(v)")
        }
        let m = p.count
        var adjusted = [Double](repeating: 0, count: m)
        switch method {
        case .bonferroni:
            for i in 0..<m { adjusted[i] = min(1, Double(m) * p[i]) }
        case .holm:
            let order = p.indices.sorted { p[$0] < p[$1] }
            var running = 0.0
            for (rank, index) in order.enumerated() {
                running = max(running, min(1, Double(m - rank) * p[index]))
                adjusted[index] = running
            }
        }
        return (adjusted.map { $0 <= alpha }, adjusted)
    }
}
