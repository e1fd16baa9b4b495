import Foundation

/// Bracketing root finding: Brent's method (Brent 1973, `zeroin`), with an upward bracket search.
enum RootFinding {
    /// Returns a zero of `f` in [lower, upper], where f(lower) and f(upper) have opposite signs.
    ///
    /// Brent's method: inverse quadratic or secant steps, falling back to bisection whenever they do
    /// not shrink the bracket fast enough; stops when the bracket is below
    /// `relativeTolerance·|x| + absoluteTolerance/2` (scipy's `brentq` convention for xtol/rtol).
    /// - Parameters:
    ///   - lower: one end of the bracket.
    ///   - upper: the other end.
    ///   - absoluteTolerance: the absolute width (xtol) at which to stop.
    ///   - relativeTolerance: the relative width (rtol) at which to stop; at least 2 ulps.
    ///   - maxIterations: the most iterations.
    ///   - function: the caller's name, for error messages.
    ///   - f: the function; a NaN value is an error.
    /// - Throws: `StatsError.notConverged` when the ends do not bracket a sign change, f is NaN, or
    ///   the iterations run out.
    static func brent(lower: Double, upper: Double, absoluteTolerance: Double = 0,
                      relativeTolerance: Double = 4 * .ulpOfOne, maxIterations: Int = 300,
                      function: String, _ f: (Double) -> Double) throws(StatsError) -> Double {
        var a = lower, b = upper
        var fa = f(a), fb = f(b)
        if fa.isNaN || fb.isNaN {
            throw .notConverged("\(function): the equation is undefined (NaN) at an end of [\(a), \(b)]")
        }
        if fa == 0 { return a }
        if fb == 0 { return b }
        guard (fa > 0) != (fb > 0) else {
            throw .notConverged("\(function): no sign change in [\(a), \(b)] (values \(fa), \(fb))")
        }
        let rtol = max(relativeTolerance, 2 * .ulpOfOne)
        var c = a, fc = fa
        var d = b - a, e = d
        for _ in 0..<maxIterations {
            if (fb > 0) == (fc > 0) {
                c = a; fc = fa
                d = b - a; e = d
            }
            if abs(fc) < abs(fb) {
                a = b; b = c; c = a
                fa = fb; fb = fc; fc = fa
            }
            let tol = rtol * abs(b) + 0.5 * absoluteTolerance
            let m = 0.5 * (c - b)
            if abs(m) <= tol || fb == 0 { return b }
            if abs(e) >= tol, abs(fa) > abs(fb) {
                var p: Double, q: Double
                let s = fb / fa
                if a == c {
                    p = 2 * m * s
                    q = 1 - s
                } else {
                    let qq = fa / fc, r = fb / fc
                    p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1))
                    q = (qq - 1) * (r - 1) * (s - 1)
                }
                if p > 0 { q = -q } else { p = -p }
                if 2 * p < min(3 * m * q - abs(tol * q), abs(e * q)) {
                    e = d
                    d = p / q
                } else {
                    d = m; e = m
                }
            } else {
                d = m; e = m
            }
            a = b; fa = fb
            b += abs(d) > tol ? d : (m > 0 ? tol : -tol)
            fb = f(b)
            if fb.isNaN { throw .notConverged("\(function): the equation is undefined (NaN) at \(b)") }
        }
        throw .notConverged("\(function): Brent's method did not converge in \(maxIterations) iterations")
    }

    /// Returns an x ≥ start with f(x) ≥ 0 for a function that increases on [start, ∞), by doubling.
    /// - Parameters:
    ///   - start: the first point tried (> 0).
    ///   - limit: the largest point tried.
    ///   - function: the caller's name, for error messages.
    ///   - f: the increasing function.
    /// - Throws: `StatsError.notConverged` when f stays negative up to `limit`.
    static func expandUpward(from start: Double, limit: Double, function: String,
                             _ f: (Double) -> Double) throws(StatsError) -> Double {
        var x = start
        while true {
            let v = f(x)
            if v >= 0 { return x }
            if v.isNaN { throw .notConverged("\(function): the equation is undefined (NaN) at \(x)") }
            if x >= limit { throw .notConverged("\(function): no solution below \(limit)") }
            x = min(2 * x, limit)
        }
    }
}
