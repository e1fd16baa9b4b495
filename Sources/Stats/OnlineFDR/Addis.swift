/// ADDIS (Tian & Ramdas, NeurIPS 2019): adaptive online FDR control that also discards
/// conservative nulls.
///
/// With S_t = #{i<t : p_i ≤ τ}, C_{0+} = #{i<t : p_i ≤ λ}, κ_j the j-th rejection time,
/// κ_j* = #{i ≤ κ_j : p_i ≤ τ} and C_{j+} = #{κ_j < i < t : p_i ≤ λ}:
///
///     alpha_t = min{λ, (τ−λ)·[W0·γ_{S_t−C_{0+}} + (alpha−W0)·γ_{S_t−κ_1*−C_{1+}}
///                            + alpha·Σ_{j≥2} γ_{S_t−κ_j*−C_{j+}}]}
///
/// where γ is indexed from 0 (index k reads the sequence's term γ_{k+1}, as both R onlineFDR and
/// online-fdr do). Only p-values in (λ, τ] age the index, so nulls above τ cost nothing.
/// Rejects iff p_t ≤ alpha_t. Controls FDR under independence of the null p-values. Defaults are
/// R onlineFDR's `ADDIS(alpha = 0.05, w0 = alpha/2, lambda = 0.25, tau = 0.5)`.
///
/// Not thread-safe: confine an instance to one thread or task.
public final class Addis: OnlineFDRProcedure {
    /// The target FDR level.
    public let alpha: Double
    /// The initial wealth W0.
    public let w0: Double
    /// The candidate threshold λ.
    public let lambda: Double
    /// The discarding threshold τ.
    public let tau: Double

    private var gamma: GammaTable
    private var t = 0
    /// #{i ≤ t : λ < p_i ≤ τ} (= S − C).
    private var aging = 0
    /// `aging` at the first rejection, and at each later one.
    private var firstMark: Int?
    private var later = RejectionSum()
    /// Σ alpha_j·1{λ < p_j ≤ τ}.
    private var spent = 0.0
    private var lastAlpha: Double?

    /// Creates an ADDIS procedure.
    ///
    /// - Parameters:
    ///   - alpha: Target FDR level, in (0, 1).
    ///   - w0: Initial wealth, in [0, alpha]; nil means alpha/2.
    ///   - lambda: Candidate threshold, in [0, tau).
    ///   - tau: Discarding threshold, in (0, 1].
    ///   - gamma: The gamma sequence; index k ≥ 0 reads its term k + 1.
    /// - Throws: `StatsError.invalidArgument` for a parameter out of range or an invalid gamma list.
    public init(alpha: Double = 0.05, w0: Double? = nil, lambda: Double = 0.25, tau: Double = 0.5,
                gamma: GammaSequence = .saffronDefault) throws {
        try OnlineFDRCheck.alpha(alpha, "Addis")
        let w0 = w0 ?? alpha / 2
        try OnlineFDRCheck.w0(w0, alpha: alpha, "Addis")
        guard tau > 0, tau <= 1 else {
            throw StatsError.invalidArgument("Addis: tau must be in (0, 1], got \(tau)")
        }
        guard lambda >= 0, lambda < tau else {
            throw StatsError.invalidArgument("Addis: lambda must be in [0, tau) = [0, \(tau)), got \(lambda)")
        }
        self.alpha = alpha
        self.w0 = w0
        self.lambda = lambda
        self.tau = tau
        self.gamma = try GammaTable(gamma, owner: "Addis")
    }

    /// Returns the level alpha_t the next test will use, without changing the procedure.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(number of rejections so far) after a test with λ < p ≤ τ, O(1) amortised
    ///   otherwise.
    public func nextAlpha() throws -> Double {
        // 0-based index k reads term k + 1.
        try gamma.fill(through: aging + 1)
        let width = tau - lambda
        var level = try width * w0 * gamma.value(aging + 1)
        guard let first = firstMark else { return min(lambda, level) }
        level += try width * (alpha - w0) * gamma.value(aging - first + 1)
        if !later.isEmpty {
            level += try width * alpha * later.value(offset: aging + 1, gamma: &gamma)
        }
        return min(lambda, level)
    }

    /// Tests the next hypothesis: rejects iff p ≤ alpha_t.
    ///
    /// - Parameter p: The p-value, in [0, 1].
    /// - Returns: Whether the hypothesis is rejected and the level alpha_t used.
    /// - Throws: `StatsError.invalidArgument` for a p-value that is NaN or outside [0, 1] (the state
    ///   is then unchanged), or when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(number of rejections so far).
    public func testOne(_ p: Double) throws -> (rejected: Bool, alpha: Double) {
        try OnlineFDRCheck.pValue(p, "Addis")
        let level = try nextAlpha()
        t += 1
        lastAlpha = level
        if p > lambda, p <= tau {
            aging += 1
            spent += level
        }
        let rejected = p <= level
        if rejected {
            if firstMark == nil { firstMark = aging } else { later.append(aging) }
        }
        return (rejected, level)
    }

    /// The tests, rejections, wealth, FDP-hat (Σ alpha_j·1{λ < p_j ≤ τ}/(τ−λ) / max(R, 1)) and
    /// last level.
    public var state: OnlineFDRState {
        let rejections = later.marks.count + (firstMark == nil ? 0 : 1)
        let cost = spent / (tau - lambda)
        return OnlineFDRState(t: t, rejections: rejections,
                              wealth: OnlineFDRRewards.earned(alpha: alpha, w0: w0, rejections: rejections) - cost,
                              fdpEstimate: cost / Double(max(rejections, 1)), alpha: lastAlpha)
    }
}
