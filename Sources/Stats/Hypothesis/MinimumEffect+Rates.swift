import Foundation

extension MinimumEffect {
    // MARK: unpaired rates: the Miettinen–Nurminen score test

    /// The restricted maximum-likelihood proportions (p̃₁, p̃₀) with p̃₁ − p̃₀ = δ for x₁ successes
    /// in n₁ (model) and x₀ in n₀ (base); counts may be fractional (expected counts).
    ///
    /// The log-likelihood in p₀, x₁ log(p₀ + δ) + (n₁ − x₁) log(1 − p₀ − δ) + x₀ log p₀ +
    /// (n₀ − x₀) log(1 − p₀), is concave on [max(0, −δ), min(1, 1 − δ)], so its maximum is where
    /// the decreasing derivative changes sign (Brent's method), or an end of the range. This is the
    /// root of Farrington and Manning's cubic without the trigonometric closed form, whose
    /// cancellation near a double root loses accuracy.
    static func restrictedProportions(x1: Double, n1: Double, x0: Double, n0: Double,
                                      delta: Double) -> (p1: Double, p0: Double) {
        let lo = max(0, -delta), hi = min(1, 1 - delta)
        if hi <= lo { return (lo + delta, lo) }
        func term(_ count: Double, _ denominator: Double) -> Double {
            if count == 0 { return 0 }
            return denominator > 0 ? count / denominator : .greatestFiniteMagnitude
        }
        func slope(_ p0: Double) -> Double {
            let p1 = p0 + delta
            let v = term(x1, p1) - term(n1 - x1, 1 - p1) + term(x0, p0) - term(n0 - x0, 1 - p0)
            return max(min(v, .greatestFiniteMagnitude), -.greatestFiniteMagnitude)
        }
        let p0: Double
        if slope(lo) <= 0 {
            p0 = lo
        } else if slope(hi) >= 0 {
            p0 = hi
        } else {
            p0 = (try? RootFinding.brent(lower: lo, upper: hi, relativeTolerance: 2 * .ulpOfOne,
                                         function: "minimumEffectTest", slope)) ?? 0.5 * (lo + hi)
        }
        return (min(max(p0 + delta, 0), 1), p0)
    }

    /// The Miettinen–Nurminen score statistic z(δ) = (Δ̂ − δ)/σ̃(δ) (±∞ when σ̃ = 0).
    static func scoreZ(x1: Int, n1: Int, x0: Int, n0: Int, delta: Double) -> Double {
        let a = Double(x1), m = Double(n1), b = Double(x0), n = Double(n0)
        let diff = a / m - b / n - delta
        let (p1, p0) = restrictedProportions(x1: a, n1: m, x0: b, n0: n, delta: delta)
        let total = m + n
        let variance = (p1 * (1 - p1) / m + p0 * (1 - p0) / n) * total / (total - 1)
        return standardized(diff, variance)
    }

    /// diff/√variance, with the limits ±∞ at variance 0; diff = 0 at variance 0 (every outcome
    /// equal at δ = 0: no evidence) gives −∞, so that the one-sided p-value is 1.
    static func standardized(_ diff: Double, _ variance: Double) -> Double {
        if variance > 0 { return diff / variance.squareRoot() }
        return diff > 0 ? .infinity : -.infinity
    }

    /// The score interval of a difference of proportions: the δ where a decreasing z(δ) crosses the
    /// critical values, within [−1, 1].
    static func invertDecreasing(_ z: (Double) -> Double, estimate: Double, direction: EffectDirection,
                                 level: Double) -> Interval {
        let (alpha, wantLower, wantUpper) = sides(direction, level)
        let critical = SpecialFunctions.normalUpperQuantile(alpha)
        var lower = -1.0, upper = 1.0
        // z(Δ̂) = 0, also where every outcome is equal (variance 0 at δ = Δ̂, where `z` gives −∞).
        func score(_ delta: Double) -> Double { delta == estimate ? 0 : z(delta) }
        if wantLower, estimate > -1 {
            lower = (try? RootFinding.brent(lower: -1, upper: estimate, absoluteTolerance: 1e-15,
                                            function: "minimumEffectTest") { score($0) - critical }) ?? -1
        }
        if wantUpper, estimate < 1 {
            upper = (try? RootFinding.brent(lower: estimate, upper: 1, absoluteTolerance: 1e-15,
                                            function: "minimumEffectTest") { score($0) + critical }) ?? 1
        }
        return Interval(lower: lower, upper: upper, level: level)
    }

    /// Unpaired rates (model − base).
    package static func rateUnpaired(base: [Double], model: [Double], margin: Double, direction: EffectDirection,
                                     level: Double, interval: Bool = true) throws(StatsError) -> Outcome {
        let x1 = model.count(where: { $0 == 1 }), n1 = model.count
        let x0 = base.count(where: { $0 == 1 }), n0 = base.count
        let normal = Normal.standard
        let (p, statistic) = try combine(direction, increase: { () throws(StatsError) in
            let z = scoreZ(x1: x1, n1: n1, x0: x0, n0: n0, delta: margin)
            return (normal.sf(z), z)
        }, decrease: { () throws(StatsError) in
            // Δ ≥ −m is the increase test of base over model.
            let z = scoreZ(x1: x0, n1: n0, x0: x1, n0: n1, delta: margin)
            return (normal.sf(z), -z)
        })
        let table = [[x1, n1 - x1], [x0, n0 - x0]]
        let pZero = try fisherExact(table, alternative: direction.alternative).pvalue
        let effect = Double(x1) / Double(n1) - Double(x0) / Double(n0)
        var ci: Interval?
        if interval {
            ci = invertDecreasing({ scoreZ(x1: x1, n1: n1, x0: x0, n0: n0, delta: $0) }, estimate: effect,
                                  direction: direction, level: level)
        }
        return Outcome(pvalue: p, pZero: pZero, effect: effect, statistic: statistic,
                       test: "Miettinen-Nurminen score", ci: ci)
    }

    // MARK: paired rates: Tango's score test

    /// The restricted MLE of q = P(base 1, model 0) under P(0→1) − P(1→0) = δ for b pairs 0→1 and
    /// c pairs 1→0 out of n (Tango 1998): the root of 2n q² + (−b − c + (2n − b + c)δ) q −
    /// cδ(1 − δ) = 0 with q ≥ max(0, −δ), in the form without cancellation.
    static func tangoQ(b: Double, c: Double, n: Double, delta: Double) -> Double {
        let a = 2 * n
        let bb = -b - c + (2 * n - b + c) * delta
        let cc = -c * delta * (1 - delta)
        let root = max(bb * bb - 4 * a * cc, 0).squareRoot()
        let q = bb > 0 ? -2 * cc / (bb + root) : (root - bb) / (2 * a)
        return max(q, max(0, -delta))
    }

    /// Tango's score statistic z(δ) = (b − c − nδ)/√(n(2q̃ + δ(1 − δ))).
    static func tangoZ(b: Int, c: Int, n: Int, delta: Double) -> Double {
        let bb = Double(b), cc = Double(c), nn = Double(n)
        let q = tangoQ(b: bb, c: cc, n: nn, delta: delta)
        return standardized(bb - cc - nn * delta, nn * (2 * q + delta * (1 - delta)))
    }

    /// Paired rates (model − base), paired by index.
    package static func ratePaired(base: [Double], model: [Double], margin: Double, direction: EffectDirection,
                                   level: Double, interval: Bool = true) throws(StatsError) -> Outcome {
        var b = 0, c = 0
        for (x, y) in zip(base, model) {
            if x == 0 && y == 1 { b += 1 }
            if x == 1 && y == 0 { c += 1 }
        }
        let n = base.count
        let normal = Normal.standard
        let exact = margin == 0
        let mcnemarZ = b + c > 0 ? Double(b - c) / Double(b + c).squareRoot() : 0
        let (p, statistic) = try combine(direction, increase: { () throws(StatsError) in
            if exact { return (try mcnemar(b: b, c: c, alternative: .greater).pvalue, mcnemarZ) }
            let z = tangoZ(b: b, c: c, n: n, delta: margin)
            return (normal.sf(z), z)
        }, decrease: { () throws(StatsError) in
            if exact { return (try mcnemar(b: b, c: c, alternative: .less).pvalue, mcnemarZ) }
            let z = tangoZ(b: c, c: b, n: n, delta: margin)
            return (normal.sf(z), -z)
        })
        let pZero = try mcnemar(b: b, c: c, alternative: direction.alternative).pvalue
        let effect = Double(b - c) / Double(n)
        var ci: Interval?
        if interval {
            ci = invertDecreasing({ tangoZ(b: b, c: c, n: n, delta: $0) }, estimate: effect, direction: direction, level: level)
        }
        return Outcome(pvalue: p, pZero: pZero, effect: effect, statistic: statistic,
                       test: exact ? "exact McNemar" : "Tango score", ci: ci)
    }
}
