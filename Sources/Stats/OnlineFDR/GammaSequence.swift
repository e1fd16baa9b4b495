/// A non-negative, non-increasing sequence γ_1, γ_2, … with Σγ_j ≤ 1 that spreads alpha-wealth
/// over the tests of an online FDR procedure.
///
/// Procedures read it 1-based (γ_1 is the first term), except ADDIS, whose index starts at 0
/// and reads γ_{k+1} for index k (so the same list gives the same numbers in every procedure).
/// Custom closures are evaluated once per index (the first 2^22 values are cached) and checked as
/// they are used:
/// a negative, non-finite or increasing value, or a partial sum above 1, makes the test that
/// needs it throw.
public enum GammaSequence: Sendable {
    /// γ_j = 0.4374901658 / j^1.6 (Σ = 1): the SAFFRON, ADDIS and alpha-investing default of
    /// R onlineFDR and PyPI online-fdr.
    case saffronDefault
    /// γ_j = 0.07720838·log(max(j, 2)) / (j·e^√(log j)) (Σ ≈ 0.976): the LORD++ default
    /// (Javanmard & Montanari 2018, eq. 31) and, times alpha, LOND's default β.
    case lordDefault
    /// Explicit terms γ_1, γ_2, …; the terms after the list are 0.
    case list([Double])
    /// A closure j ↦ γ_j for j ≥ 1.
    case custom(@Sendable (Int) -> Double)

    /// The SAFFRON default's normalising constant, 1/ζ(1.6) as written by both reference packages.
    static let saffronConstant = 0.4374901658
    /// The LORD default's constant (Javanmard & Montanari 2018).
    static let lordConstant = 0.07720838
}
