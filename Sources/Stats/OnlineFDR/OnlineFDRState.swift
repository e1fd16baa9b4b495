/// A snapshot of an online FDR procedure after the tests seen so far.
public struct OnlineFDRState: Sendable, Equatable {
    /// The number of hypotheses tested so far.
    public let t: Int
    /// The number of rejections (discoveries) so far.
    public let rejections: Int
    /// The alpha-wealth left, where the procedure defines one (nil for LOND and e-LOND).
    ///
    /// Wealth = W0 + (alpha − W0)·1{R ≥ 1} + alpha·(R − 1)⁺ − Σ_{j≤t} cost_j, with the per-test
    /// cost of the procedure's FDP-hat numerator (see `fdpEstimate`). It never goes negative.
    public let wealth: Double?
    /// The procedure's running oracle estimate of the false discovery proportion, FDP-hat(t) =
    /// Σ_{j≤t} cost_j / max(R, 1), where it is defined (nil for e-LOND); it stays ≤ alpha.
    ///
    /// cost_j is alpha_j for LORD++ and LOND, alpha_j·1{p_j > λ}/(1 − λ) for SAFFRON,
    /// alpha_j·1{λ < p_j ≤ τ}/(τ − λ) for ADDIS and alpha_j·1{p_j > alpha_j}/(1 − alpha_j) for
    /// alpha-investing (SAFFRON with λ_j = alpha_j).
    public let fdpEstimate: Double?
    /// The test level alpha_t used by the last test; nil before the first.
    public let alpha: Double?

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - t: Hypotheses tested so far.
    ///   - rejections: Rejections so far.
    ///   - wealth: Alpha-wealth left, or nil where undefined.
    ///   - fdpEstimate: FDP-hat, or nil where undefined.
    ///   - alpha: The last test level, or nil before the first test.
    public init(t: Int, rejections: Int, wealth: Double?, fdpEstimate: Double?, alpha: Double?) {
        self.t = t
        self.rejections = rejections
        self.wealth = wealth
        self.fdpEstimate = fdpEstimate
        self.alpha = alpha
    }
}
