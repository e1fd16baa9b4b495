import Foundation

/// Hypergeometric probabilities from the prime factorisation of their factorials.
///
/// P(X = k) = K!(N−K)!n!(N−n)! / (k!(K−k)!(n−k)!(N−K−n+k)!N!) is formed as Π p^e(p) over the
/// primes p ≤ N, with each exponent e(p) counted exactly by Legendre's formula and the factors
/// multiplied in increasing prime order. Two tables with the same probability have the same
/// exponents (unique factorisation), so they get bit-identical values: Fisher's two-sided test
/// then finds exact ties (the other tail of a symmetric table) that exp(log-pmf), with its
/// ~1e-14 relative error in the tails, would split. The relative error is a few ulps per prime
/// (typically ~1e-15), like the prime-factorisation path of Boost's hypergeometric pdf that scipy
/// uses. Only for N ≤ `limit`; callers fall back to the log-space pmf above it.
enum HypergeometricPrimeProduct {
    /// The largest population handled (the primes up to it are sieved once).
    static let limit = 100_000

    static let primes: [Int] = {
        var composite = [Bool](repeating: false, count: limit + 1)
        var out: [Int] = []
        for i in 2...limit where !composite[i] {
            out.append(i)
            var j = i * i
            while j <= limit {
                composite[j] = true
                j += i
            }
        }
        return out
    }()

    /// The exponent of p in m! (Legendre's formula).
    static func legendre(_ m: Int, _ p: Int) -> Int {
        var e = 0
        var q = m / p
        while q > 0 {
            e += q
            q /= p
        }
        return e
    }

    /// P(X = k) for X ~ Hypergeometric(population N, successes K, draws n), or nil when N > limit.
    /// k must lie in the support.
    static func pmf(population: Int, successes: Int, draws: Int, k: Int) -> Double? {
        let nn = population, kk = successes, n = draws
        guard nn <= limit else { return nil }
        let numerator = [kk, nn - kk, n, nn - n]
        let denominator = [k, kk - k, n - k, nn - kk - n + k, nn]
        var mantissa = 1.0
        var exponent = 0
        for p in primes {
            if p > nn { break }
            var e = 0
            for m in numerator where m >= p { e += legendre(m, p) }
            for m in denominator where m >= p { e -= legendre(m, p) }
            if e == 0 { continue }
            // Multiply by p^e in chunks small enough that each power stays finite and normal.
            let chunk = max(1, Int(900 / log2(Double(p))))
            var left = e
            while left != 0 {
                let step = left > 0 ? min(left, chunk) : max(left, -chunk)
                mantissa *= pow(Double(p), Double(step))
                left -= step
                let f = frexp(mantissa)
                mantissa = f.0
                exponent += f.1
            }
        }
        return scalbn(mantissa, exponent)
    }
}
