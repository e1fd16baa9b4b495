/// Validation of bandit parameters: one message format for every policy.
enum BanditCheck {
    /// Throws unless `value` is finite and ≥ 0.
    static func nonNegative(_ value: Double, _ name: String, _ owner: String) throws(StatsError) {
        guard value >= 0 else {
            throw .invalidArgument("\(owner): \(name) must be >= 0, got \(ParameterCheck.format(value))")
        }
        try ParameterCheck.finite(value, name, owner)
    }

    /// Throws unless `value` is finite and > 0.
    static func positive(_ value: Double, _ name: String, _ owner: String) throws(StatsError) {
        try ParameterCheck.positive(value, name, owner)
    }

    /// Throws unless 0 ≤ `value` ≤ 1.
    static func unit(_ value: Double, _ name: String, _ owner: String) throws(StatsError) {
        try ParameterCheck.probability(value, name, owner)
    }

    /// Throws unless 0 < `value` < 1.
    static func openUnit(_ value: Double, _ name: String, _ owner: String) throws(StatsError) {
        guard value > 0, value < 1 else {
            throw .invalidArgument("\(owner): \(name) must be in (0, 1), got \(ParameterCheck.format(value))")
        }
    }

    /// Throws unless `value` > 1 and finite.
    static func aboveOne(_ value: Double, _ name: String, _ owner: String) throws(StatsError) {
        guard value > 1 else {
            throw .invalidArgument("\(owner): \(name) must be > 1, got \(ParameterCheck.format(value))")
        }
        try ParameterCheck.finite(value, name, owner)
    }
}
