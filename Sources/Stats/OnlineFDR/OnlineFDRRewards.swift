/// The generalized alpha-investing reward schedule shared by SAFFRON, LORD++, ADDIS and
/// alpha-investing.
enum OnlineFDRRewards {
    /// W0 + (alpha − W0)·1{R ≥ 1} + alpha·(R − 1)⁺: the wealth earned (including W0) after R rejections.
    static func earned(alpha: Double, w0: Double, rejections: Int) -> Double {
        rejections == 0 ? w0 : w0 + (alpha - w0) + alpha * Double(rejections - 1)
    }
}
