// Validation of the inputs of tests, intervals, effect sizes, power and meta-analysis: one message
// format for all of them, `function: argument must …, got …`.

/// Helpers that validate function arguments and throw `StatsError` with a message naming the
/// function and the argument.
enum InputCheck {
    /// Throws unless `level` is in (0, 1).
    static func level(_ level: Double, _ function: String, name: String = "level") throws(StatsError) {
        guard level > 0, level < 1 else {
            throw .invalidArgument("\(function): \(name) must be in (0, 1), got \(ParameterCheck.format(level))")
        }
    }

    /// Throws unless `p` is in [0, 1] (NaN fails).
    static func probability(_ p: Double, _ name: String, _ function: String) throws(StatsError) {
        guard p >= 0, p <= 1 else {
            throw .invalidArgument("\(function): \(name) must be in [0, 1], got \(ParameterCheck.format(p))")
        }
    }

    /// Throws unless `value` is finite.
    static func finite(_ value: Double, _ name: String, _ function: String) throws(StatsError) {
        guard value.isFinite else {
            throw .invalidArgument("\(function): \(name) must be finite, got \(ParameterCheck.format(value))")
        }
    }

    /// Throws unless `value` is finite and > 0.
    static func positive(_ value: Double, _ name: String, _ function: String) throws(StatsError) {
        guard value > 0, value.isFinite else {
            throw .invalidArgument("\(function): \(name) must be finite and > 0, got \(ParameterCheck.format(value))")
        }
    }

    /// The largest count accepted (2⁵⁰): counts, their sums and their doubles stay exact.
    static let maxCount = 1 << 50

    /// Throws unless 0 ≤ k ≤ n, 1 ≤ n ≤ 2⁵⁰ (a count of successes in n trials).
    static func trials(k: Int, n: Int, _ function: String, kName: String = "k", nName: String = "n") throws(StatsError) {
        guard n >= 1 else { throw .invalidArgument("\(function): \(nName) must be >= 1, got \(n)") }
        guard n <= maxCount else {
            throw .invalidArgument("\(function): \(nName) must be <= \(maxCount), got \(n)")
        }
        guard k >= 0 else { throw .invalidArgument("\(function): \(kName) must be >= 0, got \(k)") }
        guard k <= n else {
            throw .invalidArgument("\(function): \(kName) must be <= \(nName) (\(n)), got \(k)")
        }
    }

    /// Throws unless every value is finite and there are at least `minCount` of them
    /// (too few is `insufficientData`, a NaN or infinity is `invalidArgument`).
    static func sample(_ x: [Double], _ name: String, _ function: String, minCount: Int) throws(StatsError) {
        guard x.count >= minCount else {
            let what = minCount == 1 ? "observation" : "observations"
            throw .insufficientData("\(function): \(name) must have at least \(minCount) \(what), got \(x.count)")
        }
        for (i, v) in x.enumerated() where !v.isFinite {
            throw .invalidArgument("\(function): \(name)[\(i)] must be finite, got \(ParameterCheck.format(v))")
        }
    }

    /// Throws unless `resamples` ≥ 1.
    static func resamples(_ resamples: Int, _ function: String) throws(StatsError) {
        guard resamples >= 1 else {
            throw .invalidArgument("\(function): resamples must be >= 1, got \(resamples)")
        }
    }
}
