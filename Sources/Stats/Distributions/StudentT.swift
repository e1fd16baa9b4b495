import Foundation

/// Student's t distribution with ν degrees of freedom (real ν > 0; ν = +∞ is the standard normal).
///
/// P(|T| > t) = I_x(ν/2, ½) with x = ν/(ν + t²); x, 1 − x and their logarithms are formed from
/// s = t²/ν (or ν/t²) without cancellation, so both tails keep their relative accuracy.
public struct StudentT: ContinuousDistribution, Equatable {
    /// The degrees of freedom ν.
    public let df: Double

    /// Creates t(df).
    /// - Parameter df: the degrees of freedom, > 0 (not necessarily an integer; +∞ allowed).
    /// - Throws: `StatsError.invalidArgument` when df is not > 0, e.g.
    ///   `StudentT: df must be > 0, got -1`.
    public init(df: Double) throws(StatsError) {
        try ParameterCheck.positive(df, "df", "StudentT", allowInfinity: true)
        self.df = df
    }

    /// The mean: 0 for ν > 1, NaN (undefined) otherwise.
    public var mean: Double { df > 1 ? 0 : .nan }

    /// The variance: ν/(ν − 2) for ν > 2, +∞ for 1 < ν ≤ 2, NaN (undefined) for ν ≤ 1.
    public var variance: Double {
        if df.isInfinite { return 1 }
        if df > 2 { return df / (df - 2) }
        return df > 1 ? .infinity : .nan
    }

    /// Returns the density at t.
    public func pdf(_ t: Double) -> Double {
        if t.isNaN { return .nan }
        return exp(logpdf(t))
    }

    /// Returns the log-density at t: log C(ν) − (ν + 1)/2 · log1p(t²/ν), with
    /// C(ν) = Γ((ν+1)/2)/(Γ(ν/2)√(νπ)) from an accurate log-gamma ratio.
    public func logpdf(_ t: Double) -> Double {
        if t.isNaN { return .nan }
        if df.isInfinite { return Normal.standard.logpdf(t) }
        if t.isInfinite { return -.infinity }
        let logC = SpecialFunctions.logGammaRatio(0.5 * df, 0.5) - 0.5 * (log(df) + MathConstants.logPi)
        let at = abs(t)
        let log1pS: Double
        if at < 1e150 {
            log1pS = log1p(at * at / df)
        } else {
            log1pS = 2 * log(at) - log(df) + log1p(df / at / at)
        }
        return logC - 0.5 * (df + 1) * log1pS
    }

    /// Returns P(T ≤ t).
    public func cdf(_ t: Double) -> Double { tails(t).lower }
    /// Returns P(T > t), computed directly.
    public func sf(_ t: Double) -> Double { tails(t).upper }
    /// Returns log P(T ≤ t).
    public func logcdf(_ t: Double) -> Double { tails(t).logLower }
    /// Returns log P(T > t).
    public func logsf(_ t: Double) -> Double { tails(t).logUpper }

    /// Returns the quantile: the t with P(T ≤ t) = p.
    public func ppf(_ p: Double) -> Double {
        if p.isNaN || p < 0 || p > 1 { return .nan }
        if p == 0.5 { return 0 }
        return p < 0.5 ? -upperQuantile(p) : upperQuantile(1 - p)
    }

    /// Returns the upper quantile: the t with P(T > t) = q.
    public func isf(_ q: Double) -> Double {
        if q.isNaN || q < 0 || q > 1 { return .nan }
        if q == 0.5 { return 0 }
        return q < 0.5 ? upperQuantile(q) : -upperQuantile(1 - q)
    }

    /// Both tails at t.
    private func tails(_ t: Double) -> TailPair {
        if t.isNaN { return .nan }
        if df.isInfinite {
            let n = Normal.standard
            return TailPair(lower: n.cdf(t), upper: n.sf(t), logLower: n.logcdf(t), logUpper: n.logsf(t))
        }
        if t == 0 { return TailPair(lower: 0.5, upper: 0.5, logLower: -MathConstants.log2, logUpper: -MathConstants.log2) }
        if t.isInfinite { return t > 0 ? .allLower : .allUpper }
        let both = SpecialFunctions.incompleteBeta(0.5 * df, 0.5, point(abs(t)))  // lower = P(|T| > |t|)
        let small = 0.5 * both.lower
        let upperTail = TailPair(lower: 0.5 + 0.5 * both.upper, upper: small,
                                 logLower: log1p(-small), logUpper: both.logLower - MathConstants.log2)
        return t > 0 ? upperTail : upperTail.swapped
    }

    /// x = ν/(ν + t²) and y = t²/(ν + t²) with their logarithms, for t > 0.
    private func point(_ t: Double) -> BetaPoint {
        let logS = 2 * log(t) - log(df)  // log(t²/ν)
        if logS <= 0 {
            let s = t < 1e-150 ? exp(logS) : t * t / df
            let l = log1p(s)
            return BetaPoint(x: 1 / (1 + s), y: s / (1 + s), logX: -l, logY: logS - l)
        }
        let r = t < 1e150 ? df / (t * t) : exp(-logS)
        let l = log1p(r)
        return BetaPoint(x: r / (1 + r), y: 1 / (1 + r), logX: -logS - l, logY: -l)
    }

    /// The t > 0 with P(T > t) = q for 0 < q < ½: closed forms for ν = 1 and 2, otherwise
    /// Newton steps from a Cornish–Fisher or power-law start.
    private func upperQuantile(_ q: Double) -> Double {
        if q == 0 { return .infinity }
        if df.isInfinite { return SpecialFunctions.normalUpperQuantile(q) }
        if df == 1 {
            return q < 0.25 ? 1 / tan(Double.pi * q) : tan(Double.pi * (0.5 - q))
        }
        if df == 2 {
            return (1 - 2 * q) / (2 * q * (1 - q)).squareRoot()
        }
        let guess = upperQuantileGuess(q)
        return QuantileSearch.continuous(target: q, increasing: false, lower: 0, upper: .infinity,
                                         guess: guess) { t in
            let tail = tails(t)
            return QuantileSearch.Evaluation(tail: tail.upper, logTail: tail.logUpper, logDensity: logpdf(t))
        }
    }

    /// Cornish–Fisher around the normal quantile, or the power law P(T > t) ≈ C ν^((ν−1)/2) t^(−ν)
    /// when that puts t² well above ν.
    private func upperQuantileGuess(_ q: Double) -> Double {
        let z = SpecialFunctions.normalUpperQuantile(q)
        let z2 = z * z
        let cornishFisher = z + z * (z2 + 1) / (4 * df) + z * ((5 * z2 + 16) * z2 + 3) / (96 * df * df)
        let logC = SpecialFunctions.logGammaRatio(0.5 * df, 0.5) - 0.5 * (log(df) + MathConstants.logPi)
        let logT = (logC + 0.5 * (df - 1) * log(df) - log(q)) / df
        let power = exp(logT)
        if 2 * logT > log(10 * df) { return power }
        return cornishFisher
    }
}
