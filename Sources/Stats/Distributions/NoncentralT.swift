import Foundation

/// The noncentral t distribution with ν degrees of freedom and noncentrality δ: the law of
/// (Z + δ)/√(V/ν) for independent Z ~ N(0, 1), V ~ χ²_ν. Distribution function only; used by
/// `powerTTest` and `sampleSizeTTest`.
///
/// For t ≥ 0 (Guenther 1978; Lenth 1989, AS 243), with x = t²/(ν + t²), y = 1 − x, λ = δ²/2:
/// P(T ≤ t) = Φ(−δ) + ½ Σⱼ [pⱼ I_x(j + ½, ν/2) + qⱼ I_x(j + 1, ν/2)] and
/// P(T > t) = ½ Σⱼ [pⱼ I_y(ν/2, j + ½) + qⱼ I_y(ν/2, j + 1)], where pⱼ = e^{−λ}λʲ/j! and
/// qⱼ = δ e^{−λ}λʲ/(√2 Γ(j + 3/2)); negative t use P(T ≤ t; δ) = P(T > −t; −δ). The sums run
/// outward from the Poisson mode j ≈ λ (weights by Loader's saddle point there, then exact
/// ratios) and every incomplete beta comes from `incompleteBeta` with both tails accurate.
/// When δ ≥ 0 every term is positive and both tails have full relative accuracy. When δ < 0 the
/// qⱼ are negative and the sums are accurate only in absolute terms, so for ν ≥ 1 the far tail
/// P(T > t) = P(Z > |δ| + tR), R = √(V/ν), is integrated instead (`normalMixture`, a positive
/// integrand); for λ > 200 (|δ| > 20) and ν ≥ 1 both tails are integrated, since the series would
/// need thousands of terms. Only for ν < 1 with δ < 0 is the far tail accurate in absolute terms
/// alone (about 1e-16).
package struct NoncentralT: Sendable, Equatable {
    /// The degrees of freedom ν.
    package let df: Double
    /// The noncentrality δ.
    package let nc: Double

    /// Creates the noncentral t distribution.
    /// - Parameters:
    ///   - df: the degrees of freedom, finite and > 0.
    ///   - nc: the noncentrality, finite.
    /// - Throws: `StatsError.invalidArgument` naming the bad parameter.
    package init(df: Double, nc: Double) throws(StatsError) {
        try ParameterCheck.positive(df, "df", "NoncentralT")
        try ParameterCheck.finite(nc, "nc", "NoncentralT")
        self.df = df
        self.nc = nc
    }

    /// Returns P(T ≤ t).
    package func cdf(_ t: Double) -> Double {
        if t.isNaN { return .nan }
        if t >= 0 { return tails(t, nc).lower }
        return tails(-t, -nc).upper
    }

    /// Returns P(T > t), computed directly.
    package func sf(_ t: Double) -> Double {
        if t.isNaN { return .nan }
        if t >= 0 { return tails(t, nc).upper }
        return tails(-t, -nc).lower
    }

    /// Both tails at t ≥ 0 for noncentrality δ.
    private func tails(_ t: Double, _ delta: Double) -> (lower: Double, upper: Double) {
        let normal = Normal.standard
        if t == 0 { return (normal.cdf(-delta), normal.sf(-delta)) }
        if t.isInfinite { return (1, 0) }
        if delta == 0 {
            // Cannot throw: df was validated.
            guard let central = try? StudentT(df: df) else { return (.nan, .nan) }
            return (central.cdf(t), central.sf(t))
        }
        let lambda = 0.5 * delta * delta
        if lambda > NoncentralT.seriesLimit, df >= 1 {
            // Far from the origin the series needs O(√λ) terms per unit of spread around a mode at
            // j ≈ λ; both tails come from the integral instead:
            // P(T > t) = P(Z > tR − δ), P(T ≤ t) = P(Z > δ − tR).
            let upper = NoncentralT.normalMixture(s: t, delta: -delta, df: df)
            let lower = NoncentralT.normalMixture(s: -t, delta: delta, df: df)
            if upper.isFinite && lower.isFinite { return (lower, upper) }
        }
        let point = betaPoint(t)
        let b = 0.5 * df
        let mode = lambda.rounded(.down)
        // Weights at the mode.
        let pMode: Double
        if mode == 0 {
            pMode = exp(-lambda)
        } else {
            let logP = -SpecialFunctions.stirlingError(mode)
                - SpecialFunctions.deviance(mode, lambda, lambda - mode)
                - 0.5 * (MathConstants.log2Pi + log(mode))
            pMode = exp(logP)
        }
        let qMode = pMode * delta * MathConstants.invSqrt2 * exp(-SpecialFunctions.logGammaRatio(mode + 1, 0.5))
        var lower = 0.0, upper = 0.0
        var lowerC = 0.0, upperC = 0.0  // compensation terms
        func add(_ sum: inout Double, _ c: inout Double, _ v: Double) {
            let s = sum + v
            if abs(sum) >= abs(v) { c += (sum - s) + v } else { c += (v - s) + sum }
            sum = s
        }
        func term(_ j: Double, _ p: Double, _ q: Double) {
            let half = SpecialFunctions.incompleteBeta(j + 0.5, b, point)
            let whole = SpecialFunctions.incompleteBeta(j + 1, b, point)
            add(&lower, &lowerC, p * half.lower + q * whole.lower)
            add(&upper, &upperC, p * half.upper + q * whole.upper)
        }
        /// The absolute size below which the rest of a sum is negligible.
        func tolerance() -> Double {
            let l = abs(lower + lowerC), u = abs(upper + upperC)
            let scale = delta > 0 ? min(l, u) : max(l, u, 1e-300)
            return max(1e-17 * scale, Double.leastNonzeroMagnitude)
        }
        term(mode, pMode, qMode)
        // Upward: p_{j+1} = p_j·λ/(j + 1), q_{j+1} = q_j·λ/(j + 3/2); the remaining tail is below
        // the current weight times (j + 1)/(j + 1 − λ).
        var p = pMode, q = qMode, j = mode
        var iterations = 0
        while iterations < 1_000_000 {
            p *= lambda / (j + 1)
            q *= lambda / (j + 1.5)
            j += 1
            iterations += 1
            let weight = p + abs(q)
            if weight == 0 { break }
            term(j, p, q)
            if j + 1 > lambda, weight * (j + 1) / (j + 1 - lambda) < tolerance() { break }
        }
        // Downward: p_{j−1} = p_j·j/λ, q_{j−1} = q_j·(j + ½)/λ; the remaining tail is below the
        // current weight times λ/(λ − j + 1).
        p = pMode; q = qMode; j = mode
        while j > 0 {
            p *= j / lambda
            q *= (j + 0.5) / lambda
            j -= 1
            let weight = p + abs(q)
            if weight == 0 { break }
            term(j, p, q)
            if weight * lambda / (lambda - j + 1) < tolerance() { break }
        }
        let l = lower + lowerC, u = upper + upperC
        let lowerTail = normal.cdf(-delta) + 0.5 * l
        let upperTail = 0.5 * u
        if delta >= 0 {
            return (min(lowerTail, 1), min(upperTail, 1))
        }
        // Mixed signs: the sums are accurate in absolute terms only. The upper tail
        // P(T > t) = P(Z > |δ| + tR) is the far one; for ν ≥ 1 it comes from the integral instead.
        if df >= 1 {
            let far = NoncentralT.normalMixture(s: t, delta: -delta, df: df)
            if far.isFinite { return (1 - far, far) }
        }
        if upperTail <= 0.5 { return (1 - max(upperTail, 0), max(upperTail, 0)) }
        return (max(lowerTail, 0), 1 - max(lowerTail, 0))
    }

    /// The noncentrality (λ = δ²/2) above which the distribution function is integrated rather
    /// than summed (ν ≥ 1).
    static let seriesLimit = 200.0

    /// P(Z > δ + s·R) for real s ≠ 0 and δ, Z ~ N(0, 1) and R = √(χ²_ν/ν) independent, ν ≥ 1: the
    /// integral of g(r)·P(Z > δ + sr) over r ≥ 0, g the density of R, by adaptive Gauss–Kronrod
    /// quadrature. The log-integrand (ν − 1)log r − νr²/2 + log P(Z > δ + sr) is concave with
    /// curvature ≤ −ν, so the integral is split at its mode and at mode ± w·2ᵏ (w from the
    /// curvature at the mode) out to 10/√ν, beyond which it is below e⁻⁵⁰ of its peak (and
    /// geometrically towards 0 when that is nearer, for the r^(ν−1) factor there). Every
    /// integrand value is positive, so the result keeps its relative accuracy however small.
    static func normalMixture(s: Double, delta: Double, df nu: Double) -> Double {
        let normal = Normal.standard
        let logConstant = MathConstants.log2 + 0.5 * nu * log(0.5 * nu) - SpecialFunctions.logGamma(0.5 * nu)
        func logIntegrand(_ r: Double) -> Double {
            let power = nu == 1 ? 0 : (nu - 1) * log(r)  // 0 for ν = 1, also at r = 0
            return power - 0.5 * nu * r * r + normal.logsf(delta + s * r)
        }
        /// The inverse Mills ratio φ(z)/P(Z > z).
        func mills(_ z: Double) -> Double { exp(normal.logpdf(z) - normal.logsf(z)) }
        // The mode: the root of the decreasing (ν − 1)/r − νr − s·m(δ + sr), or 0 when that is
        // already ≤ 0 at 0 (possible for ν = 1 only).
        let derivative = { (r: Double) -> Double in (nu - 1) / r - nu * r - s * mills(delta + s * r) }
        var mode = 0.0
        let tiny = 1e-300
        if derivative(tiny) > 0 {
            var high = 1.0
            while derivative(high) > 0 {
                high *= 2
                if high > 1e300 { return .nan }
            }
            guard let root = try? RootFinding.brent(lower: tiny, upper: high, function: "NoncentralT", derivative) else {
                return .nan
            }
            mode = root
        }
        let z = delta + s * mode
        let m = mills(z)
        let curvature = (mode > 0 ? (nu - 1) / (mode * mode) : 0) + nu + s * s * m * (m - z)
        let width = 1 / curvature.squareRoot()
        let reach = 10 / nu.squareRoot()
        let peak = nu == 1 ? logIntegrand(mode) : 0
        let tailAtMode = normal.logsf(z)
        // The integrand over its peak, exp(log-integrand(r) − log-integrand(mode)), with the
        // difference formed term by term ((ν − 1)·log1p((r − m)/m), ν(r − m)(r + m)/2 and the
        // tail ratio) so that its rounding error is relative to the difference, not to the terms
        // of size ν or z².
        // log P(Z > z) − log P(Z > z₀) for z = δ + sr, z₀ = δ + s·mode: for z, z₀ > 0 in the form
        // −(z − z₀)(z + z₀)/2 + log(erfcx(z/√2)/erfcx(z₀/√2)), whose rounding error is relative to
        // the difference even where each logarithm is of order z² (a large |δ|).
        let scaledAtMode = SpecialFunctions.erfcx(z * MathConstants.invSqrt2)
        func logTailRatio(_ r: Double) -> Double {
            let zr = delta + s * r
            if zr > 0 && z > 0 {
                let dz = s * (r - mode)
                return -0.5 * dz * (zr + z) + log(SpecialFunctions.erfcx(zr * MathConstants.invSqrt2) / scaledAtMode)
            }
            return normal.logsf(zr) - tailAtMode
        }
        func f(_ r: Double) -> Double {
            if r < 0 || (r == 0 && nu > 1) { return 0 }
            let d = r - mode
            var exponent = -0.5 * nu * d * (r + mode) + logTailRatio(r)
            if nu > 1 { exponent += (nu - 1) * log1p(d / mode) }  // mode > 0 when ν > 1
            return exp(exponent)
        }
        // Breakpoints mode ± w·2^k within [0, mode + reach].
        var points = [mode]
        var step = width
        while step < reach {
            points.append(mode + step)
            if mode - step > 0 { points.append(mode - step) }
            step *= 2
        }
        points.append(mode + reach)
        if mode - reach > 0 {
            points.append(mode - reach)
        } else if mode > 0 {
            // Down to 0, where r^(ν−1) is not smooth for non-integer ν: geometrically.
            var low = points.filter { $0 > 0 }.min() ?? mode
            for _ in 0..<40 {
                low *= 0.5
                points.append(low)
            }
            points.append(0)
        }
        points.sort()
        let pieces = points.count - 1
        var rough = 0.0
        for i in 0..<pieces { rough += GaussKronrod.estimate(f, points[i], points[i + 1]) }
        let tolerance = 1e-15 * abs(rough) / Double(pieces)
        var total = 0.0
        for i in 0..<pieces {
            total += GaussKronrod.integrate(f, points[i], points[i + 1], absoluteTolerance: tolerance)
        }
        if nu == 1 { return exp(logConstant + peak) * total }
        // log g(m) for k = ν/2 without the cancellation of terms of size ν log ν: with
        // log Γ(k) = stirlingError(k) + (k − ½) log k − k + log √(2π),
        // log g(m) = log 2 + ½ log k − stirlingError(k) − log √(2π) − log m − k·(x − log1p(x)),
        // x = m² − 1.
        let k = 0.5 * nu
        let x = (mode - 1) * (mode + 1)
        let logDensity = MathConstants.log2 + 0.5 * log(k) - SpecialFunctions.stirlingError(k)
            - MathConstants.logSqrt2Pi - log(mode) - k * SpecialFunctions.log1pComplement(x)
        return exp(logDensity + tailAtMode) * total
    }

    /// x = t²/(ν + t²) and y = ν/(ν + t²) with their logarithms, for t > 0 (as `StudentT`).
    private func betaPoint(_ t: Double) -> BetaPoint {
        let logS = 2 * log(t) - log(df)  // log(t²/ν)
        if logS <= 0 {
            let s = t < 1e-150 ? exp(logS) : t * t / df
            let l = log1p(s)
            return BetaPoint(x: s / (1 + s), y: 1 / (1 + s), logX: logS - l, logY: -l)
        }
        let r = t < 1e150 ? df / (t * t) : exp(-logS)
        let l = log1p(r)
        return BetaPoint(x: 1 / (1 + r), y: r / (1 + r), logX: -l, logY: -logS - l)
    }
}
