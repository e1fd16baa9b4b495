/// Offline (batch) false discovery rate control: Benjamini–Hochberg, Benjamini–Yekutieli and
/// Storey-BH adjusted p-values.
public enum BatchFDR {
    /// A batch FDR procedure.
    public enum Method: Sendable, Equatable {
        /// Benjamini–Hochberg (1995): FDR control under independence or PRDS.
        case bh
        /// Benjamini–Yekutieli (2001): BH at alpha/H_m, valid under arbitrary dependence.
        case by
        /// Storey-BH: BH at alpha/π̂0 with the "+1" finite-sample estimate
        /// π̂0 = min(1, (1 + #{p_i > λ}) / (m·(1 − λ))) of Storey, Taylor & Siegmund (2004).
        case storey(lambda: Double = 0.5)
    }

    /// Adjusts a batch of p-values and decides which hypotheses to reject at level alpha.
    ///
    /// BH: p̃_(i) = min_{j≥i} min(1, m·p_(j)/j); BY multiplies by H_m = Σ_{i≤m} 1/i before the
    /// running minimum (both equal `scipy.stats.false_discovery_control`); Storey multiplies the BH
    /// values by π̂0 (≤ 1). `rejected[i]` is `adjusted[i] ≤ alpha`, which is the step-up rule
    /// p_(i) ≤ i·alpha/m (resp. /(m·H_m), /(m·π̂0)). Storey rejections are not restricted to
    /// p ≤ λ (as in PyPI online-fdr's `storey_bh`; STS 2004's finite-sample theorem also
    /// imposes that restriction).
    ///
    /// - Parameters:
    ///   - p: The p-values, each in [0, 1], in any order; results follow the same order.
    ///   - method: The procedure; BH by default.
    ///   - alpha: The FDR level, in (0, 1).
    /// - Returns: The decisions and the adjusted p-values (in [0, 1]).
    /// - Throws: `StatsError.invalidArgument` for a p-value that is NaN or outside [0, 1], alpha
    ///   outside (0, 1) or a Storey λ outside [0, 1).
    /// - Complexity: O(m log m).
    public static func adjust(_ p: [Double], method: Method = .bh, alpha: Double = 0.05) throws
        -> (rejected: [Bool], adjusted: [Double]) {
        guard alpha > 0, alpha < 1 else {
            throw StatsError.invalidArgument("BatchFDR.adjust: alpha must be in (0, 1), got \(alpha)")
        }
        for (i, v) in p.enumerated() where !(v >= 0 && v <= 1) {
            throw StatsError.invalidArgument("BatchFDR.adjust: p[\(i)] must be a number in [0, 1], got \(v)")
        }
        if case .storey(let lambda) = method, !(lambda >= 0 && lambda < 1) {
            throw StatsError.invalidArgument("BatchFDR.adjust: Storey lambda must be in [0, 1), got \(lambda)")
        }
        let m = p.count
        guard m > 0 else { return ([], []) }
        let order = p.indices.sorted { p[$0] < p[$1] }
        let mm = Double(m)
        var sorted = order.map { p[$0] }
        for i in 0..<m { sorted[i] *= mm / Double(i + 1) }
        switch method {
        case .bh:
            break
        case .by:
            var harmonic = 0.0
            for i in 1...m { harmonic += 1 / Double(i) }
            for i in 0..<m { sorted[i] *= harmonic }
        case .storey(let lambda):
            let pi0 = storeyPi0(p, lambda: lambda)
            for i in 0..<m { sorted[i] *= pi0 }
        }
        // Running minimum from the largest p-value down, then clip to [0, 1].
        for i in stride(from: m - 2, through: 0, by: -1) where sorted[i + 1] < sorted[i] {
            sorted[i] = sorted[i + 1]
        }
        var adjusted = [Double](repeating: 0, count: m)
        for (rank, index) in order.enumerated() { adjusted[index] = min(max(sorted[rank], 0), 1) }
        return (adjusted.map { $0 <= alpha }, adjusted)
    }

    /// Storey's "+1" null-proportion estimate min(1, (1 + #{p_i > λ}) / (m·(1 − λ))) for m ≥ 1.
    static func storeyPi0(_ p: [Double], lambda: Double) -> Double {
        let above = p.reduce(0) { $0 + ($1 > lambda ? 1 : 0) }
        return min(1, Double(1 + above) / (Double(p.count) * (1 - lambda)))
    }
}
