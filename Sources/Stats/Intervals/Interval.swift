/// A confidence interval [lower, upper] at a confidence level.
///
/// A one-sided interval has an infinite end (or 0 or 1 for a proportion, as the reference
/// implementations report them).
public struct Interval: Sendable, Equatable, CustomStringConvertible {
    /// The lower end.
    public let lower: Double
    /// The upper end.
    public let upper: Double
    /// The confidence level, in (0, 1).
    public let level: Double

    /// Creates an interval.
    /// - Parameters:
    ///   - lower: the lower end.
    ///   - upper: the upper end.
    ///   - level: the confidence level.
    public init(lower: Double, upper: Double, level: Double) {
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// Returns whether `value` lies in the closed interval.
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }

    /// A one-line summary, e.g. `[0.1513, 0.2677] (95%)`.
    public var description: String { "[\(lower), \(upper)] (\(level * 100)%)" }
}
