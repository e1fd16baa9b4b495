/// An online FDR procedure that tests a stream of p-values one at a time.
///
/// Each test level alpha_t depends only on the past decisions, and hypothesis t is rejected iff
/// p_t ≤ alpha_t. Conforming types are stateful classes and are not thread-safe: confine an
/// instance to one thread or task.
public protocol OnlineFDRProcedure: AnyObject {
    /// Tests the next hypothesis and advances the procedure.
    ///
    /// - Parameter p: The p-value, in [0, 1].
    /// - Returns: Whether the hypothesis is rejected (p ≤ alpha_t) and the level alpha_t used.
    /// - Throws: `StatsError.invalidArgument` when `p` is NaN or outside [0, 1] (the state is
    ///   then unchanged), or when a custom gamma sequence yields an invalid value.
    func testOne(_ p: Double) throws -> (rejected: Bool, alpha: Double)

    /// Returns the level alpha_t the next test will use, without changing the procedure.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom gamma sequence yields an invalid value.
    func nextAlpha() throws -> Double

    /// The tests, rejections, wealth, FDP-hat and last level so far.
    var state: OnlineFDRState { get }
}
