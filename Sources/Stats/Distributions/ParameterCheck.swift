// Validation of distribution parameters: one message format for every type.

/// Helpers that validate constructor arguments and throw `StatsError.invalidArgument`.
enum ParameterCheck {
    /// Formats a number for an error message: integers without a fraction, `nan`, `inf`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Throws unless `value > 0` (NaN fails; +∞ passes only when `allowInfinity`).
    static func positive(_ value: Double, _ name: String, _ type: String,
                         allowInfinity: Bool = false) throws(StatsError) {
        guard value > 0 else {
            throw .invalidArgument("\(type): \(name) must be > 0, got \(format(value))")
        }
        guard allowInfinity || value.isFinite else {
            throw .invalidArgument("\(type): \(name) must be finite, got \(format(value))")
        }
    }

    /// Throws unless `value` is finite.
    static func finite(_ value: Double, _ name: String, _ type: String) throws(StatsError) {
        guard value.isFinite else {
            throw .invalidArgument("\(type): \(name) must be finite, got \(format(value))")
        }
    }

    /// Throws unless `0 ≤ value ≤ 1`.
    static func probability(_ value: Double, _ name: String, _ type: String) throws(StatsError) {
        guard value >= 0, value <= 1 else {
            throw .invalidArgument("\(type): \(name) must be in [0, 1], got \(format(value))")
        }
    }

    /// Throws unless `value ≥ 0`.
    static func nonNegative(_ value: Int, _ name: String, _ type: String) throws(StatsError) {
        guard value >= 0 else { throw .invalidArgument("\(type): \(name) must be >= 0, got \(value)") }
    }
}
