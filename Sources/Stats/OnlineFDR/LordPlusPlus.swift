/// LORD++ (Ramdas, Yang, Wainwright & Jordan, NeurIPS 2017; supersedes LORD1/2 of Javanmard &
/// Montanari 2018): online FDR control through levels based on recent discoveries.
///
///     alpha_t = W0·γ_t + (alpha − W0)·γ_{t−τ_1} + alpha·Σ_{j≥2, τ_j<t} γ_{t−τ_j}
///
/// where τ_j is the time of the j-th rejection; hypothesis t is rejected iff p_t ≤ alpha_t.
/// Controls FDR under independence of the null p-values. Defaults are R onlineFDR's
/// `LORD(version = "++", alpha = 0.05, w0 = alpha/10)`. (PyPI online-fdr also caps alpha_t at a
/// wealth that pays alpha on every rejection; the cap never binds, so it is left out.)
///
/// Not thread-safe: confine an instance to one thread or task.
public final class LordPlusPlus: OnlineFDRProcedure {
    /// The target FDR level.
    public let alpha: Double
    /// The initial wealth W0.
    public let w0: Double

    private var gamma: GammaTable
    private var t = 0
    private var firstRejection: Int?
    private var later = RejectionSum()
    /// Σ alpha_j.
    private var spent = 0.0
    private var lastAlpha: Double?

    /// Creates a LORD++ procedure.
    ///
    /// - Parameters:
    ///   - alpha: Target FDR level, in (0, 1).
    ///   - w0: Initial wealth, in [0, alpha]; nil means alpha/10.
    ///   - gamma: The gamma sequence, read from γ_1.
    /// - Throws: `StatsError.invalidArgument` for a parameter out of range or an invalid gamma list.
    public init(alpha: Double = 0.05, w0: Double? = nil, gamma: GammaSequence = .lordDefault) throws {
        try OnlineFDRCheck.alpha(alpha, "LordPlusPlus")
        let w0 = w0 ?? alpha / 10
        try OnlineFDRCheck.w0(w0, alpha: alpha, "LordPlusPlus")
        self.alpha = alpha
        self.w0 = w0
        self.gamma = try GammaTable(gamma, owner: "LordPlusPlus")
    }

    /// Returns the level alpha_t the next test will use, without changing the procedure.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(number of rejections so far).
    public func nextAlpha() throws -> Double {
        let n = t + 1
        try gamma.fill(through: n)
        var level = try w0 * gamma.value(n)
        if let first = firstRejection {
            level += try (alpha - w0) * gamma.value(n - first)
            level += try alpha * later.value(offset: n, gamma: &gamma)
        }
        return level
    }

    /// Tests the next hypothesis: rejects iff p ≤ alpha_t.
    ///
    /// - Parameter p: The p-value, in [0, 1].
    /// - Returns: Whether the hypothesis is rejected and the level alpha_t used.
    /// - Throws: `StatsError.invalidArgument` for a p-value that is NaN or outside [0, 1] (the state
    ///   is then unchanged), or when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(number of rejections so far).
    public func testOne(_ p: Double) throws -> (rejected: Bool, alpha: Double) {
        try OnlineFDRCheck.pValue(p, "LordPlusPlus")
        let level = try nextAlpha()
        t += 1
        lastAlpha = level
        spent += level
        let rejected = p <= level
        if rejected {
            if firstRejection == nil { firstRejection = t } else { later.append(t) }
        }
        return (rejected, level)
    }

    /// The tests, rejections, wealth, FDP-hat (Σ alpha_j / max(R, 1)) and last level.
    public var state: OnlineFDRState {
        let rejections = later.marks.count + (firstRejection == nil ? 0 : 1)
        return OnlineFDRState(t: t, rejections: rejections,
                              wealth: OnlineFDRRewards.earned(alpha: alpha, w0: w0, rejections: rejections) - spent,
                              fdpEstimate: spent / Double(max(rejections, 1)), alpha: lastAlpha)
    }
}
