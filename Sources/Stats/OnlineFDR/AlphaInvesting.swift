/// Alpha-investing as implemented by R onlineFDR (`Alpha_investing`) and PyPI online-fdr (`Gai`):
/// the SAFFRON special case λ_t = alpha_t of Ramdas et al. (2018), not Foster & Stine's original rule.
///
/// With C_i = 1{p_i ≤ alpha_i} (the rejections),
///
///     x_t = W0·γ_{t−C_{0+}} + (alpha−W0)·γ_{t−τ_1−C_{1+}} + alpha·Σ_{j≥2} γ_{t−τ_j−C_{j+}},
///     alpha_t = x_t / (1 + x_t),
///
/// and hypothesis t is rejected iff p_t ≤ alpha_t. Controls FDR under independence; monotone.
/// Defaults are R onlineFDR's `Alpha_investing(alpha = 0.05, w0 = alpha/2)`.
///
/// Not thread-safe: confine an instance to one thread or task.
public final class AlphaInvesting: OnlineFDRProcedure {
    /// The target FDR level.
    public let alpha: Double
    /// The initial wealth W0.
    public let w0: Double

    private var gamma: GammaTable
    private var t = 0
    /// #{i ≤ t : p_i > alpha_i}.
    private var nonRejections = 0
    /// `nonRejections` at the first rejection, and at each later one.
    private var firstMark: Int?
    private var later = RejectionSum()
    /// Σ alpha_j·1{p_j > alpha_j}/(1 − alpha_j).
    private var spent = 0.0
    private var lastAlpha: Double?

    /// Creates an alpha-investing procedure.
    ///
    /// - Parameters:
    ///   - alpha: Target FDR level, in (0, 1).
    ///   - w0: Initial wealth, in [0, alpha); nil means alpha/2.
    ///   - gamma: The gamma sequence, read from γ_1.
    /// - Throws: `StatsError.invalidArgument` for a parameter out of range or an invalid gamma list.
    public init(alpha: Double = 0.05, w0: Double? = nil, gamma: GammaSequence = .saffronDefault) throws {
        try OnlineFDRCheck.alpha(alpha, "AlphaInvesting")
        let w0 = w0 ?? alpha / 2
        try OnlineFDRCheck.w0(w0, alpha: alpha, strict: true, "AlphaInvesting")
        self.alpha = alpha
        self.w0 = w0
        self.gamma = try GammaTable(gamma, owner: "AlphaInvesting")
    }

    /// Returns the level alpha_t the next test will use, without changing the procedure.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(number of rejections so far) after a non-rejection, O(1) amortised otherwise.
    public func nextAlpha() throws -> Double {
        let n = t + 1
        try gamma.fill(through: n)
        var x: Double
        if n == 1 {
            x = try gamma.value(1) * w0
        } else {
            x = try w0 * gamma.value(1 + nonRejections)
            if let first = firstMark {
                x += try (alpha - w0) * gamma.value(1 + nonRejections - first)
            }
            if !later.isEmpty {
                x += try alpha * later.value(offset: 1 + nonRejections, gamma: &gamma)
            }
        }
        return x / (1 + x)
    }

    /// Tests the next hypothesis: rejects iff p ≤ alpha_t.
    ///
    /// - Parameter p: The p-value, in [0, 1].
    /// - Returns: Whether the hypothesis is rejected and the level alpha_t used.
    /// - Throws: `StatsError.invalidArgument` for a p-value that is NaN or outside [0, 1] (the state
    ///   is then unchanged), or when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(number of rejections so far).
    public func testOne(_ p: Double) throws -> (rejected: Bool, alpha: Double) {
        try OnlineFDRCheck.pValue(p, "AlphaInvesting")
        let level = try nextAlpha()
        t += 1
        lastAlpha = level
        let rejected = p <= level
        if rejected {
            if firstMark == nil { firstMark = nonRejections } else { later.append(nonRejections) }
        } else {
            nonRejections += 1
            spent += level / (1 - level)
        }
        return (rejected, level)
    }

    /// The tests, rejections, wealth, FDP-hat (Σ alpha_j·1{p_j > alpha_j}/(1 − alpha_j) / max(R, 1))
    /// and last level.
    public var state: OnlineFDRState {
        let rejections = later.marks.count + (firstMark == nil ? 0 : 1)
        return OnlineFDRState(t: t, rejections: rejections,
                              wealth: OnlineFDRRewards.earned(alpha: alpha, w0: w0, rejections: rejections) - spent,
                              fdpEstimate: spent / Double(max(rejections, 1)), alpha: lastAlpha)
    }
}
