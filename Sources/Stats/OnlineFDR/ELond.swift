/// e-LOND (Xu & Ramdas, AISTATS 2024): online FDR control for e-values under arbitrary dependence.
///
///     alpha_t = alpha·γ_t·(R + 1)
///
/// where R is the number of rejections before t; hypothesis t is rejected iff e_t ≥ 1/alpha_t
/// (never when alpha_t = 0, unless e_t = +∞). Matches PyPI online-fdr's
/// `online_fdr.e_values.ELond`, whose default γ is the LORD sequence.
///
/// Not thread-safe: confine an instance to one thread or task.
public final class ELond {
    /// The target FDR level.
    public let alpha: Double

    private var gamma: GammaTable
    private var t = 0
    private var rejections = 0
    private var lastAlpha: Double?

    /// Creates an e-LOND procedure.
    ///
    /// - Parameters:
    ///   - alpha: Target FDR level, in (0, 1).
    ///   - gamma: The gamma sequence, read from γ_1.
    /// - Throws: `StatsError.invalidArgument` for alpha out of range or an invalid gamma list.
    public init(alpha: Double = 0.05, gamma: GammaSequence = .lordDefault) throws {
        try OnlineFDRCheck.alpha(alpha, "ELond")
        self.alpha = alpha
        self.gamma = try GammaTable(gamma, lordForm: .lond(scale: 1), owner: "ELond")
    }

    /// Returns the level alpha_t the next test will use, without changing the procedure.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(1) amortised.
    public func nextAlpha() throws -> Double {
        try alpha * gamma.value(t + 1) * Double(rejections + 1)
    }

    /// Tests the next hypothesis: rejects iff e ≥ 1/alpha_t.
    ///
    /// - Parameter e: The e-value, in [0, +∞].
    /// - Returns: Whether the hypothesis is rejected and the level alpha_t used.
    /// - Throws: `StatsError.invalidArgument` for an e-value that is NaN or negative (the state is
    ///   then unchanged), or when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(1) amortised.
    public func testOne(e: Double) throws -> (rejected: Bool, alpha: Double) {
        guard e >= 0 else {
            throw StatsError.invalidArgument("ELond: e-value must be a number ≥ 0, got \(e)")
        }
        let level = try nextAlpha()
        t += 1
        lastAlpha = level
        let threshold = level <= 0 ? Double.infinity : 1 / level
        let rejected = e >= threshold
        if rejected { rejections += 1 }
        return (rejected, level)
    }

    /// The tests, rejections and last level; e-LOND has no wealth and no FDP-hat.
    public var state: OnlineFDRState {
        OnlineFDRState(t: t, rejections: rejections, wealth: nil, fdpEstimate: nil, alpha: lastAlpha)
    }
}
