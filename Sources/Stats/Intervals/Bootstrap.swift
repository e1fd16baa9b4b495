import Foundation

/// How `bootstrapCI` turns the bootstrap distribution into an interval.
public enum BootstrapMethod: String, Sendable, CaseIterable {
    /// Bias-corrected and accelerated percentiles (Efron 1987), scipy's default.
    case bca
    /// Plain percentiles of the bootstrap distribution.
    case percentile
}

/// The result of a bootstrap (`bootstrapCI`).
public struct BootstrapResult: Sendable, Equatable {
    /// The statistic of the original sample.
    public let estimate: Double
    /// The confidence interval (one end infinite for a one-sided alternative).
    public let ci: Interval
    /// The standard deviation (ddof 1) of the bootstrap distribution.
    public let standardError: Double
}

/// Returns a bootstrap confidence interval for a statistic of one sample.
///
/// Follows `scipy.stats.bootstrap((x,), statistic, n_resamples=resamples, confidence_level=level,
/// method='BCa'|'percentile', alternative)`, with the resamples drawn by a `SeededGenerator` (so
/// the interval equals scipy's only within Monte Carlo error). Each resample draws n values with
/// replacement. Percentile: the α and 1 − α quantiles (linear interpolation, numpy's default) of
/// the B statistics, α = (1 − level)/2 (1 − level for one-sided). BCa: the quantiles at
/// Φ(ẑ₀ + (ẑ₀ + z_α)/(1 − â(ẑ₀ + z_α))) and likewise for z_{1−α}, with
/// ẑ₀ = Φ⁻¹((#{θ* < θ̂} + #{θ* ≤ θ̂})/(2B)) and the jackknife acceleration
/// â = Σ U³/(6(Σ U²)^{3/2}), Uᵢ = (n − 1)(θ̄₍.₎ − θ̂₍ᵢ₎).
/// - Parameters:
///   - x: the sample, at least 2 finite values.
///   - statistic: the statistic of a sample (its errors are rethrown).
///   - method: BCa (default) or percentile.
///   - resamples: the number of bootstrap resamples B, ≥ 1 (9999 by default, as scipy).
///   - level: the confidence level, in (0, 1).
///   - alternative: `.twoSided`, or `.less` for (−∞, upper] and `.greater` for [lower, ∞).
///   - seed: the seed of the `SeededGenerator` that draws the resamples.
/// - Returns: the estimate θ̂, the interval and the bootstrap standard error.
/// - Throws: `StatsError.insufficientData` for fewer than 2 values, or, for BCa, when the jackknife
///   statistics are all equal or θ̂ lies outside the bootstrap distribution (degenerate data, for
///   which scipy returns NaN); `StatsError.invalidArgument` for a NaN or infinity in x, resamples
///   < 1, a level outside (0, 1) or a NaN statistic; any error of `statistic`.
/// - Complexity: B + n calls of `statistic` on samples of size n (n − 1 for the jackknife).
public func bootstrapCI(_ x: [Double], statistic: ([Double]) throws -> Double, method: BootstrapMethod = .bca,
                        resamples: Int = 9999, level: Double = 0.95, alternative: Alternative = .twoSided,
                        seed: UInt64 = 0) throws -> BootstrapResult {
    let function = "bootstrapCI"
    try InputCheck.sample(x, "x", function, minCount: 2)
    try InputCheck.resamples(resamples, function)
    try InputCheck.level(level, function)
    var generator = SeededGenerator(seed: seed)
    let n = x.count
    var resample = [Double](repeating: 0, count: n)
    var distribution: [Double] = []
    distribution.reserveCapacity(resamples)
    for _ in 0..<resamples {
        for i in 0..<n { resample[i] = x[generator.nextInt(below: n)] }
        let value = try statistic(resample)
        guard !value.isNaN else { throw StatsError.invalidArgument("\(function): statistic returned NaN for a resample") }
        distribution.append(value)
    }
    return try BootstrapInterval.result(x, statistic: statistic, distribution: distribution, method: method,
                                        level: level, alternative: alternative)
}

/// The deterministic part of `bootstrapCI`: the interval from a given bootstrap distribution.
package enum BootstrapInterval {
    /// The estimate, interval and standard error from a bootstrap distribution of `statistic` on `x`
    /// (scipy's `bootstrap` given `bootstrap_result` and no new resamples).
    package static func result(_ x: [Double], statistic: ([Double]) throws -> Double, distribution: [Double],
                       method: BootstrapMethod, level: Double, alternative: Alternative) throws -> BootstrapResult {
        let function = "bootstrapCI"
        let estimate = try statistic(x)
        guard !estimate.isNaN else { throw StatsError.invalidArgument("\(function): statistic returned NaN for x") }
        let alpha = alternative == .twoSided ? 0.5 * (1 - level) : 1 - level
        var probabilities: (Double, Double)
        switch method {
        case .percentile:
            probabilities = (alpha, 1 - alpha)
        case .bca:
            let z0 = try biasCorrection(distribution, estimate: estimate)
            let jackknife = try (0..<x.count).map { i throws -> Double in
                var sample = x
                sample.remove(at: i)
                return try statistic(sample)
            }
            let a = try acceleration(jackknife)
            probabilities = bcaProbabilities(z0: z0, acceleration: a, alpha: alpha)
        }
        let sorted = distribution.sorted()
        var lower = quantile(sorted, probabilities.0)
        var upper = quantile(sorted, probabilities.1)
        if alternative == .less { lower = -.infinity }
        if alternative == .greater { upper = .infinity }
        let se = distribution.count > 1 ? SampleSummary.variance(distribution).squareRoot() : .nan
        return BootstrapResult(estimate: estimate, ci: Interval(lower: lower, upper: upper, level: level),
                               standardError: se)
    }

    /// ẑ₀ = Φ⁻¹((#{θ* < θ̂} + #{θ* ≤ θ̂})/(2B)) (scipy's `_percentile_of_score`, kind 'mean').
    /// - Throws: `StatsError.insufficientData` when θ̂ is below or above every θ* (ẑ₀ infinite).
    package static func biasCorrection(_ distribution: [Double], estimate: Double) throws(StatsError) -> Double {
        var below = 0, atOrBelow = 0
        for v in distribution {
            if v < estimate { below += 1 }
            if v <= estimate { atOrBelow += 1 }
        }
        let fraction = Double(below + atOrBelow) / Double(2 * distribution.count)
        guard fraction > 0, fraction < 1 else {
            throw .insufficientData("bootstrapCI: the estimate lies outside the bootstrap distribution, so the BCa bias correction is infinite; use method .percentile")
        }
        return SpecialFunctions.normalQuantile(fraction)
    }

    /// The jackknife acceleration â = (1/6)·(Σ Uᵢ³/n³)/(Σ Uᵢ²/n²)^{3/2}, Uᵢ = (n − 1)(θ̄₍.₎ − θ̂₍ᵢ₎)
    /// (Efron & Tibshirani 1993, eq. 14.15; scipy's form).
    /// - Throws: `StatsError.insufficientData` when the jackknife values are all equal.
    package static func acceleration(_ jackknife: [Double]) throws(StatsError) -> Double {
        let n = Double(jackknife.count)
        let mean = SampleSummary.mean(jackknife)
        let u = jackknife.map { (n - 1) * (mean - $0) }
        let num = SampleSummary.sum(u.map { $0 * $0 * $0 }) / (n * n * n)
        let den = SampleSummary.sum(u.map { $0 * $0 }) / (n * n)
        guard den > 0 else {
            throw .insufficientData("bootstrapCI: the jackknife statistics are all equal, so the BCa acceleration is undefined; use method .percentile")
        }
        return num / (6 * pow(den, 1.5))
    }

    /// The BCa percentile levels Φ(ẑ₀ + (ẑ₀ + z)/(1 − â(ẑ₀ + z))) for z = z_α and z_{1−α}.
    package static func bcaProbabilities(z0: Double, acceleration a: Double, alpha: Double) -> (Double, Double) {
        let zAlpha = SpecialFunctions.normalQuantile(alpha)
        let n1 = z0 + zAlpha
        let n2 = z0 - zAlpha
        return (Normal.standard.cdf(z0 + n1 / (1 - a * n1)), Normal.standard.cdf(z0 + n2 / (1 - a * n2)))
    }

    /// The p-quantile of sorted values by linear interpolation between order statistics
    /// (numpy's and scipy's default, type 7): h = (B − 1)p.
    package static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        if p.isNaN { return .nan }
        let h = Double(sorted.count - 1) * min(max(p, 0), 1)
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        let frac = h - Double(lo)
        return sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }
}
