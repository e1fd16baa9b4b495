import Foundation

/// The two tails of a distribution function at one point, P = F(x) and Q = 1 − F(x), with their
/// logarithms; the smaller tail is always computed directly, the larger one as its complement.
struct TailPair: Sendable, Equatable {
    /// The lower tail P.
    var lower: Double
    /// The upper tail Q.
    var upper: Double
    /// log P.
    var logLower: Double
    /// log Q.
    var logUpper: Double

    /// Both tails from a directly computed log P (Q = 1 − P).
    static func fromLower(log l: Double) -> TailPair {
        let p = exp(l)
        return TailPair(lower: p, upper: 1 - p, logLower: l, logUpper: log1p(-p))
    }

    /// Both tails from a directly computed log Q (P = 1 − Q).
    static func fromUpper(log u: Double) -> TailPair {
        fromLower(log: u).swapped
    }

    /// Both tails from directly computed P and Q (each accurate on its own).
    static func both(lower: Double, upper: Double) -> TailPair {
        TailPair(lower: lower, upper: upper, logLower: log(lower), logUpper: log(upper))
    }

    /// P = 0, Q = 1.
    static let allUpper = TailPair(lower: 0, upper: 1, logLower: -.infinity, logUpper: 0)
    /// P = 1, Q = 0.
    static let allLower = TailPair(lower: 1, upper: 0, logLower: 0, logUpper: -.infinity)
    /// All NaN.
    static let nan = TailPair(lower: .nan, upper: .nan, logLower: .nan, logUpper: .nan)

    /// The pair with the roles of the tails exchanged.
    var swapped: TailPair {
        TailPair(lower: upper, upper: lower, logLower: logUpper, logUpper: logLower)
    }
}
