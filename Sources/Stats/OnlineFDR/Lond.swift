/// LOND (Javanmard & Montanari 2015, 2018): levels based on the number of discoveries.
///
///     alpha_t = β_t·(D + 1)        (original)
///     alpha_t = β_t·max(D, 1)      (modified; valid under PRDS, Zrnic et al.)
///
/// where D is the number of discoveries before t; with `dependent`, β_t is divided by
/// H(t) = Σ_{i≤t} 1/i (valid under arbitrary dependence). Rejects iff p_t ≤ alpha_t. Defaults are
/// R onlineFDR's `LOND(alpha = 0.05, dep = FALSE, original = TRUE)` with
/// β_j = 0.07720838·alpha·log(max(j, 2))/(j·e^√(log j)).
///
/// Not thread-safe: confine an instance to one thread or task.
public final class Lond: OnlineFDRProcedure {
    /// The target FDR level.
    public let alpha: Double
    /// Whether levels are divided by the harmonic number H(t) (arbitrary dependence).
    public let dependent: Bool
    /// Whether alpha_t = β_t·(D + 1) (true) or β_t·max(D, 1) (false).
    public let original: Bool

    private var beta: GammaTable
    private var t = 0
    private var rejections = 0
    /// H(t) = Σ_{i≤t} 1/i, summed in order.
    private var harmonic = 0.0
    /// Σ alpha_j.
    private var spent = 0.0
    private var lastAlpha: Double?

    /// Creates a LOND procedure.
    ///
    /// - Parameters:
    ///   - alpha: Target FDR level, in (0, 1).
    ///   - dependent: Divide β_t by H(t) for arbitrarily dependent p-values.
    ///   - original: Use (D + 1)·β_t (true) or max(D, 1)·β_t (false).
    ///   - beta: The sequence β_1, β_2, …: nil (the default) or `.lordDefault` means alpha times the
    ///     LORD sequence, `.saffronDefault` alpha times the SAFFRON one; a `.list` or `.custom` gives
    ///     β_j itself (R's `betai`: non-negative, non-increasing, Σβ ≤ alpha).
    /// - Throws: `StatsError.invalidArgument` for alpha out of range or an invalid beta list.
    public init(alpha: Double = 0.05, dependent: Bool = false, original: Bool = true,
                beta: GammaSequence? = nil) throws {
        try OnlineFDRCheck.alpha(alpha, "Lond")
        self.alpha = alpha
        self.dependent = dependent
        self.original = original
        if let beta {
            self.beta = try GammaTable(beta, lordForm: .lond(scale: alpha), saffronScale: alpha, sumLimit: alpha,
                                       owner: "Lond", name: "beta")
        } else {
            self.beta = GammaTable(source: .lond(scale: alpha), sumLimit: alpha, owner: "Lond", name: "beta")
        }
    }

    /// Returns the level alpha_t the next test will use, without changing the procedure.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom beta sequence yields an invalid value.
    /// - Complexity: O(1) amortised.
    public func nextAlpha() throws -> Double {
        let n = t + 1
        var level = try beta.value(n)
        if dependent { level /= harmonic + 1 / Double(n) }
        level *= Double(original ? rejections + 1 : max(rejections, 1))
        return level
    }

    /// Tests the next hypothesis: rejects iff p ≤ alpha_t.
    ///
    /// - Parameter p: The p-value, in [0, 1].
    /// - Returns: Whether the hypothesis is rejected and the level alpha_t used.
    /// - Throws: `StatsError.invalidArgument` for a p-value that is NaN or outside [0, 1] (the state
    ///   is then unchanged), or when a custom beta sequence yields an invalid value.
    /// - Complexity: O(1) amortised.
    public func testOne(_ p: Double) throws -> (rejected: Bool, alpha: Double) {
        try OnlineFDRCheck.pValue(p, "Lond")
        let level = try nextAlpha()
        t += 1
        harmonic += 1 / Double(t)
        lastAlpha = level
        spent += level
        let rejected = p <= level
        if rejected { rejections += 1 }
        return (rejected, level)
    }

    /// The tests, rejections, FDP-hat (Σ alpha_j / max(R, 1)) and last level; LOND has no wealth.
    public var state: OnlineFDRState {
        OnlineFDRState(t: t, rejections: rejections, wealth: nil,
                       fdpEstimate: spent / Double(max(rejections, 1)), alpha: lastAlpha)
    }
}
