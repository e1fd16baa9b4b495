/// Argument checks shared by the online FDR procedures.
enum OnlineFDRCheck {
    /// Throws unless p is a number in [0, 1].
    static func pValue(_ p: Double, _ owner: String) throws {
        guard p >= 0, p <= 1 else {
            throw StatsError.invalidArgument("\(owner): p-value must be a number in [0, 1], got \(p)")
        }
    }

    /// Throws unless alpha is in (0, 1).
    static func alpha(_ alpha: Double, _ owner: String) throws {
        guard alpha > 0, alpha < 1 else {
            throw StatsError.invalidArgument("\(owner): alpha must be in (0, 1), got \(alpha)")
        }
    }

    /// Throws unless 0 ≤ w0 ≤ alpha (or w0 < alpha when `strict`).
    static func w0(_ w0: Double, alpha: Double, strict: Bool = false, _ owner: String) throws {
        guard w0 >= 0, strict ? w0 < alpha : w0 <= alpha else {
            throw StatsError.invalidArgument(
                "\(owner): w0 must be in [0, alpha\(strict ? ")" : "]") = [0, \(alpha)\(strict ? ")" : "]"), got \(w0)")
        }
    }
}
