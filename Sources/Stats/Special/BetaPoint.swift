import Foundation

/// A point of the incomplete beta function: x and y = 1 − x, each to a few ulps, with their
/// logarithms, and which of x or y is exact (the deviation λ = (a + b)x − a is formed from it).
struct BetaPoint: Sendable {
    /// x in [0, 1].
    var x: Double
    /// y = 1 − x.
    var y: Double
    /// log x.
    var logX: Double
    /// log y.
    var logY: Double
    /// Whether λ is formed from x (true) or from y (false).
    var lambdaFromX: Bool

    /// The point from an exact x; y = 1 − x is exact for x ≥ ½ and log y = log1p(−x) is accurate.
    init(x: Double) {
        self.x = x
        y = 1 - x
        logX = log(x)
        logY = x < 0.5 ? log1p(-x) : log(1 - x)
        lambdaFromX = x <= 0.5
    }

    /// The point from an exact y = 1 − x.
    init(y: Double) {
        self = BetaPoint(x: y).swapped
    }

    /// A point from x and y computed elsewhere, each to a few ulps, with accurate logarithms.
    init(x: Double, y: Double, logX: Double, logY: Double) {
        self.x = x
        self.y = y
        self.logX = logX
        self.logY = logY
        lambdaFromX = x <= y
    }

    /// The point with x and y exchanged.
    var swapped: BetaPoint {
        var p = self
        p.x = y
        p.y = x
        p.logX = logY
        p.logY = logX
        p.lambdaFromX = !lambdaFromX
        return p
    }
}
