import Foundation

extension MinimumEffect {
    /// A t statistic with its degrees of freedom and the factor c with noncentrality = effect·c.
    struct TStatistic {
        let t: Double
        let df: Double
        let c: Double
    }

    /// The noncentral t p-values of the margin test: P(T ≥ t) at noncentrality m·c (increase) and
    /// P(T ≤ t) at −m·c (decrease).
    static func marginT(_ s: TStatistic, margin: Double, direction: EffectDirection) throws(StatsError) -> (p: Double, statistic: Double) {
        try combine(direction, increase: { () throws(StatsError) in
            (try NoncentralT(df: s.df, nc: margin * s.c).sf(s.t), s.t)
        }, decrease: { () throws(StatsError) in
            (try NoncentralT(df: s.df, nc: -margin * s.c).cdf(s.t), s.t)
        })
    }

    /// The interval of the standardized effect that inverts the noncentral t: the noncentralities δ
    /// with P(T ≥ t; δ) = α (lower end) and P(T ≤ t; δ) = α (upper end), divided by c.
    static func invertT(_ s: TStatistic, direction: EffectDirection, level: Double) throws(StatsError) -> Interval {
        let (alpha, wantLower, wantUpper) = sides(direction, level)
        if s.t.isInfinite { return Interval(lower: s.t, upper: s.t, level: level) }
        // P(T ≥ t; δ) increases with δ; f(δ) = P(T ≥ t; δ) − target.
        func solve(_ f: (Double) -> Double) throws(StatsError) -> Double {
            var step = 1.0 + abs(s.t) * 0.1
            var lo = s.t - step, hi = s.t + step
            var tries = 0
            while f(lo) > 0 || f(hi) < 0 {
                step *= 2
                if f(lo) > 0 { lo = s.t - step }
                if f(hi) < 0 { hi = s.t + step }
                tries += 1
                if tries > 60 { throw .notConverged("minimumEffectTest: no bracket for the interval of t = \(s.t)") }
            }
            return try RootFinding.brent(lower: lo, upper: hi, absoluteTolerance: 1e-13, relativeTolerance: 1e-14,
                                         function: "minimumEffectTest", f)
        }
        let df = s.df, t = s.t
        func upperTail(_ nc: Double) -> Double { (try? NoncentralT(df: df, nc: nc).sf(t)) ?? .nan }
        func lowerTail(_ nc: Double) -> Double { (try? NoncentralT(df: df, nc: nc).cdf(t)) ?? .nan }
        var lower = -Double.infinity, upper = Double.infinity
        if wantLower { lower = try solve { upperTail($0) - alpha } / s.c }
        if wantUpper { upper = try solve { alpha - lowerTail($0) } / s.c }
        return Interval(lower: lower, upper: upper, level: level)
    }

    /// t = diff·scale/sd with the zero-SD limits (0 for diff = 0, ±∞ otherwise).
    static func tValue(_ diff: Double, sd: Double, scale: Double) -> Double {
        if sd > 0 { return diff / sd * scale }
        return diff > 0 ? .infinity : (diff < 0 ? -.infinity : 0)
    }

    /// A p-value of a central t statistic, with t = ±∞ and t = 0 allowed.
    static func centralP(_ t: Double, df: Double, _ alternative: Alternative) throws(StatsError) -> Double {
        if t.isInfinite {
            switch alternative {
            case .twoSided: return 0
            case .greater: return t > 0 ? 0 : 1
            case .less: return t < 0 ? 0 : 1
            }
        }
        return try studentPValue(t, df: df, alternative)
    }

    /// Unpaired means: Cohen's d (pooled SD) and the pooled t with noncentrality d·√(n₀n₁/(n₀ + n₁)).
    package static func meanUnpaired(base: [Double], model: [Double], margin: Double, direction: EffectDirection,
                                     level: Double, interval: Bool = true) throws(StatsError) -> Outcome {
        let n1 = Double(model.count), n0 = Double(base.count)
        let diff = SampleSummary.mean(model) - SampleSummary.mean(base)
        let v1 = SampleSummary.variance(model), v0 = SampleSummary.variance(base)
        let df = n1 + n0 - 2
        let sd = (((n1 - 1) * v1 + (n0 - 1) * v0) / df).squareRoot()
        let c = (n1 * n0 / (n1 + n0)).squareRoot()
        let t = tValue(diff, sd: sd, scale: c)
        let s = TStatistic(t: t, df: df, c: c)
        // Every value equal: no evidence either way.
        let (p, statistic) = sd == 0 && diff == 0 ? (1, 0) : try marginT(s, margin: margin, direction: direction)
        // Welch's t for the no-difference p-value.
        let se = (v1 / n1 + v0 / n0).squareRoot()
        let welchDf = se > 0 ? pow(v1 / n1 + v0 / n0, 2) / (pow(v1 / n1, 2) / (n1 - 1) + pow(v0 / n0, 2) / (n0 - 1)) : df
        let pZero = se == 0 && diff == 0 ? 1 : try centralP(tValue(diff, sd: se, scale: 1), df: welchDf, direction.alternative)
        let effect = sd > 0 ? diff / sd : t
        return Outcome(pvalue: p, pZero: pZero, effect: effect, statistic: statistic, test: "noncentral t (pooled)",
                       ci: interval ? try invertT(s, direction: direction, level: level) : nil)
    }

    /// Paired means: d_z = mean(d)/sd(d) for d = model − base, and the one-sample t with
    /// noncentrality d_z·√n.
    package static func meanPaired(base: [Double], model: [Double], margin: Double, direction: EffectDirection,
                                   level: Double, interval: Bool = true) throws(StatsError) -> Outcome {
        let d = zip(model, base).map { $0 - $1 }
        for (i, v) in d.enumerated() where !v.isFinite {
            throw .invalidArgument("minimumEffectTest: model[\(i)] - base[\(i)] must be finite, got \(ParameterCheck.format(v))")
        }
        let n = Double(d.count)
        let mean = SampleSummary.mean(d)
        let sd = SampleSummary.variance(d).squareRoot()
        let c = n.squareRoot()
        let t = tValue(mean, sd: sd, scale: c)
        let s = TStatistic(t: t, df: n - 1, c: c)
        // Every difference 0: no evidence either way.
        let (p, statistic) = sd == 0 && mean == 0 ? (1, 0) : try marginT(s, margin: margin, direction: direction)
        let pZero = sd == 0 && mean == 0 ? 1 : try centralP(t, df: n - 1, direction.alternative)
        let effect = sd > 0 ? mean / sd : t
        return Outcome(pvalue: p, pZero: pZero, effect: effect, statistic: statistic, test: "noncentral t (paired)",
                       ci: interval ? try invertT(s, direction: direction, level: level) : nil)
    }
}
