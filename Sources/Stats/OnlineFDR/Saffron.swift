/// SAFFRON (Ramdas, Zrnic, Wainwright & Jordan, ICML 2018): adaptive online FDR control, the online
/// analogue of Storey-BH.
///
/// With candidates C_i = 1{p_i ≤ λ}, C_{0+} = Σ_{i<t} C_i and C_{j+} = Σ_{τ_j<i<t} C_i:
///
///     alpha_t = min{λ, (1−λ)·[W0·γ_{t−C_{0+}} + (alpha−W0)·γ_{t−τ_1−C_{1+}}
///                            + alpha·Σ_{j≥2, τ_j<t} γ_{t−τ_j−C_{j+}}]}
///
/// and hypothesis t is rejected iff p_t ≤ alpha_t (so p > λ is never rejected). Controls FDR at
/// every t when the null p-values are independent of each other and of the non-nulls.
/// Defaults are R onlineFDR's `SAFFRON(alpha = 0.05, w0 = alpha/2, lambda = 0.5)`.
///
/// Not thread-safe: confine an instance to one thread or task.
public final class Saffron: OnlineFDRProcedure {
    /// The target FDR level.
    public let alpha: Double
    /// The initial wealth W0.
    public let w0: Double
    /// The candidate threshold λ.
    public let lambda: Double

    private var gamma: GammaTable
    private var t = 0
    /// #{i ≤ t : p_i > λ}.
    private var nonCandidates = 0
    /// `nonCandidates` at the first rejection, and at each later one.
    private var firstMark: Int?
    private var later = RejectionSum()
    /// Σ alpha_j·1{p_j > λ}.
    private var spent = 0.0
    private var lastAlpha: Double?

    /// Creates a SAFFRON procedure.
    ///
    /// - Parameters:
    ///   - alpha: Target FDR level, in (0, 1).
    ///   - w0: Initial wealth, in [0, alpha]; nil means alpha/2.
    ///   - lambda: Candidate threshold, in (0, 1).
    ///   - gamma: The gamma sequence, read from γ_1.
    /// - Throws: `StatsError.invalidArgument` for a parameter out of range or an invalid gamma list.
    public init(alpha: Double = 0.05, w0: Double? = nil, lambda: Double = 0.5,
                gamma: GammaSequence = .saffronDefault) throws {
        try OnlineFDRCheck.alpha(alpha, "Saffron")
        let w0 = w0 ?? alpha / 2
        try OnlineFDRCheck.w0(w0, alpha: alpha, "Saffron")
        guard lambda > 0, lambda < 1 else {
            throw StatsError.invalidArgument("Saffron: lambda must be in (0, 1), got \(lambda)")
        }
        self.alpha = alpha
        self.w0 = w0
        self.lambda = lambda
        self.gamma = try GammaTable(gamma, owner: "Saffron")
    }

    /// Returns the level alpha_t the next test will use, without changing the procedure.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom gamma sequence yields an invalid value.
    /// - Complexity: O(number of rejections so far) after a test with p > λ, O(1) amortised otherwise.
    public func nextAlpha() throws -> Double {
        let n = t + 1
        try gamma.fill(through: n)
        if n == 1 { return try min(lambda, (1 - lambda) * gamma.value(1) * w0) }
        var level = try w0 * gamma.value(1 + nonCandidates)
        if let first = firstMark {
            level += try (alpha - w0) * gamma.value(1 + nonCandidates - first)
        }
        if !later.isEmpty {
            level += try alpha * later.value(offset: 1 + nonCandidates, gamma: &gamma)
        }
        level *= 1 - lambda
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
        try OnlineFDRCheck.pValue(p, "Saffron")
        let level = try nextAlpha()
        t += 1
        lastAlpha = level
        if p > lambda {
            nonCandidates += 1
            spent += level
        }
        let rejected = p <= level
        if rejected {
            if firstMark == nil { firstMark = nonCandidates } else { later.append(nonCandidates) }
        }
        return (rejected, level)
    }

    /// The tests, rejections, wealth, FDP-hat (Σ alpha_j·1{p_j > λ}/(1−λ) / max(R, 1)) and last level.
    public var state: OnlineFDRState {
        let rejections = later.marks.count + (firstMark == nil ? 0 : 1)
        let cost = spent / (1 - lambda)
        return OnlineFDRState(t: t, rejections: rejections,
                              wealth: OnlineFDRRewards.earned(alpha: alpha, w0: w0, rejections: rejections) - cost,
                              fdpEstimate: cost / Double(max(rejections, 1)), alpha: lastAlpha)
    }
}
