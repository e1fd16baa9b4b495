import Foundation

extension SeededGenerator {
    /// Returns a standard normal draw N(0, 1) by the Box–Muller transform.
    ///
    /// Uses two uniforms, √(−2 ln u₁)·cos(2π u₂) with u₁ ∈ (0, 1) from `nextOpenDouble()`, and
    /// discards the paired sine draw so that the generator stays a plain value with no cached
    /// state: each call consumes exactly two 64-bit outputs.
    public mutating func nextNormal() -> Double {
        let u1 = nextOpenDouble()
        let u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Returns a normal draw N(mean, sd²).
    ///
    /// - Parameters:
    ///   - mean: The mean, finite.
    ///   - sd: The standard deviation, finite and ≥ 0 (0 returns `mean`).
    /// - Throws: `StatsError.invalidArgument` naming the bad parameter.
    public mutating func nextNormal(mean: Double, sd: Double) throws(StatsError) -> Double {
        try ParameterCheck.finite(mean, "mean", "SeededGenerator.nextNormal")
        guard sd >= 0, sd.isFinite else {
            throw .invalidArgument(
                "SeededGenerator.nextNormal: sd must be finite and >= 0, got \(ParameterCheck.format(sd))")
        }
        return mean + sd * nextNormal()
    }
}
