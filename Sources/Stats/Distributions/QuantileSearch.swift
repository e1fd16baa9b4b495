import Foundation

/// Inversion of distribution functions shared by the distributions.
enum QuantileSearch {
    /// The value of one tail T and the density f at a point, with their logarithms.
    struct Evaluation {
        /// T(x).
        var tail: Double
        /// log T(x).
        var logTail: Double
        /// log f(x).
        var logDensity: Double
    }

    /// Solves T(x) = target for x in the open interval (lower, upper) by safeguarded Newton steps
    /// on log T.
    ///
    /// T is the lower tail (increasing) or the upper tail (decreasing). Near a finite end of the
    /// interval the step is taken in the logarithm of the distance to that end, which is exact for
    /// power-law tails and keeps x positive; a step that leaves the bracket is replaced by a
    /// (geometric where the bracket spans decades) bisection. The final residual is formed as
    /// log1p((T − target)/target), so the result is as accurate as T itself allows.
    /// - Complexity: typically 3–8 evaluations of T.
    static func continuous(target: Double, increasing: Bool, lower: Double, upper: Double, guess: Double,
                           evaluate: (Double) -> Evaluation) -> Double {
        var lo = lower
        var hi = upper
        var x = guess
        if !(x > lo && x < hi) || !x.isFinite { x = midpoint(lo, hi, lower: lower, upper: upper) }
        let logTarget = log(target)
        var previousStep = Double.infinity
        for _ in 0..<300 {
            let e = evaluate(x)
            if e.tail == target { return x }
            let tooFar: Bool  // x lies beyond the root (T too large for increasing, too small for decreasing)
            if e.tail >= MathConstants.minNormal {
                tooFar = increasing ? e.tail > target : e.tail < target
            } else {
                tooFar = increasing ? e.logTail > logTarget : e.logTail < logTarget
            }
            if tooFar { hi = x } else { lo = x }

            // Newton step on log T, in the log of the distance to a near finite end.
            let residual: Double  // log T − log target
            if e.tail >= MathConstants.minNormal, abs(e.tail - target) < 0.5 * target {
                residual = log1p((e.tail - target) / target)
            } else {
                residual = e.logTail - logTarget
            }
            let slope = exp(e.logDensity - e.logTail) * (increasing ? 1 : -1)  // d log T / dx
            let dx = -residual / slope
            var next: Double
            let distLower = x - lower
            let distUpper = upper - x
            if lower.isFinite, distLower <= distUpper {
                next = lower + distLower * exp(max(-745, min(709, dx / distLower)))
            } else if upper.isFinite, distUpper < distLower {
                next = upper - distUpper * exp(max(-745, min(709, -dx / distUpper)))
            } else {
                next = x + dx
            }
            if next.isFinite, next >= lo, next <= hi, abs(next - x) <= 4 * Double.ulpOfOne * abs(x) {
                return next  // converged: the step is below the resolution of x
            }

            // The root may lie beyond the largest double.
            if !next.isFinite || abs(next) > 1e300, !(lo.isFinite && hi.isFinite) {
                let edge = (next > 0 || next.isNaN && hi == .infinity)
                    ? Double.greatestFiniteMagnitude : -Double.greatestFiniteMagnitude
                if (edge > 0 && hi == .infinity) || (edge < 0 && lo == -.infinity) {
                    let t = evaluate(edge)
                    let beyond = increasing ? t.logTail > logTarget : t.logTail < logTarget
                    if edge > 0 {
                        if !beyond { return .infinity }
                        hi = edge
                    } else {
                        if beyond { return -.infinity }
                        lo = edge
                    }
                }
            }
            if !(next > lo && next < hi) || !next.isFinite {
                next = midpoint(lo, hi, lower: lower, upper: upper)
                if !(next > lo && next < hi) {
                    // No double lies strictly inside the bracket: the root is within one ulp of an end.
                    if hi == upper, upper.isFinite { return upper }
                    if lo == lower, lower.isFinite { return lower }
                    return x
                }
            }
            let step = abs(next - x)
            if step == 0 { return next }
            // Evaluation noise: the steps stopped shrinking at a level far below the answer.
            if step < 1e-11 * max(abs(x), abs(next)), step > 0.5 * previousStep { return next }
            previousStep = step
            x = next
        }
        return x
    }

    /// A point strictly inside (lo, hi): geometric where the bracket spans decades next to a
    /// finite end, expanding where one end is infinite.
    private static func midpoint(_ lo: Double, _ hi: Double, lower: Double, upper: Double) -> Double {
        if lo == -.infinity && hi == .infinity { return 0 }
        if hi == .infinity { return lo + 8 * max(1, abs(lo)) }
        if lo == -.infinity { return hi - 8 * max(1, abs(hi)) }
        if lower.isFinite {
            let a = lo - lower, b = hi - lower
            if a == 0 { return lower + b / 1024 }
            if b > 8 * a { return lower + a.squareRoot() * b.squareRoot() }
        }
        if upper.isFinite {
            let a = upper - hi, b = upper - lo
            if a == 0 { return upper - b / 1024 }
            if b > 8 * a { return upper - a.squareRoot() * b.squareRoot() }
        }
        return lo + 0.5 * (hi - lo)
    }

    /// The smallest k in `range` for which `isAtOrAbove(k)` holds, for a predicate that is false
    /// then true along the range (and true at its upper end), searching outwards from `guess`
    /// by doubling steps and then bisecting.
    /// - Complexity: O(log(range)) predicate calls.
    static func discrete(in range: ClosedRange<Int>, guess: Int, isAtOrAbove: (Int) -> Bool) -> Int {
        var k = min(max(guess, range.lowerBound), range.upperBound)
        var lo: Int  // predicate false at lo (or lo = lowerBound − 1)
        var hi: Int  // predicate true at hi
        if isAtOrAbove(k) {
            hi = k
            var step = 1
            lo = k
            while true {
                let candidate = hi - step
                if candidate < range.lowerBound { lo = range.lowerBound - 1; break }
                if isAtOrAbove(candidate) { hi = candidate; step *= 2 } else { lo = candidate; break }
            }
        } else {
            lo = k
            var step = 1
            hi = range.upperBound
            while true {
                let candidate = lo + step
                if candidate >= range.upperBound { hi = range.upperBound; break }
                if isAtOrAbove(candidate) { hi = candidate; break } else { lo = candidate; step *= 2 }
            }
        }
        while hi - lo > 1 {
            k = lo + (hi - lo) / 2
            if isAtOrAbove(k) { hi = k } else { lo = k }
        }
        return hi
    }

    /// ppf and isf of a discrete distribution from its cdf and sf (each accurate in its own tail):
    /// the smallest k with cdf(k) ≥ q (`upper` false) or with sf(k) ≤ q (`upper` true).
    static func discreteQuantile(_ q: Double, upper: Bool, support: ClosedRange<Int>, guess: Int,
                                 cdf: (Int) -> Double, sf: (Int) -> Double) -> Double {
        if q.isNaN || q < 0 || q > 1 { return .nan }
        let below = Double(support.lowerBound) - 1
        if upper {
            if q == 1 { return below }
            if q == 0 { return Double(support.upperBound) }
        } else {
            if q == 0 { return below }
            if q == 1 { return Double(support.upperBound) }
        }
        // cdf(k) ≥ p ⟺ sf(k) ≤ 1 − p; 1 − p is exact for p ≥ ½, so each side uses its accurate tail.
        let k = discrete(in: support, guess: guess) { k in
            if upper {
                return q <= 0.5 ? sf(k) <= q : cdf(k) >= 1 - q
            }
            return q <= 0.5 ? cdf(k) >= q : sf(k) <= 1 - q
        }
        return Double(k)
    }
}
