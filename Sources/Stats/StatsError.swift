/// An error raised by the statistics module.
///
/// Every case carries a complete, human-readable message that names the function or type and the
/// offending argument, e.g. `StudentT: df must be > 0, got -1`.
public enum StatsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// An argument is outside its domain (a negative standard deviation, a probability above 1, …).
    case invalidArgument(String)
    /// The data are too few or degenerate for the requested computation.
    case insufficientData(String)
    /// An iterative computation did not reach the requested accuracy.
    case notConverged(String)

    /// The message, without the case name.
    public var message: String {
        switch self {
        case .invalidArgument(let message), .insufficientData(let message), .notConverged(let message):
            return message
        }
    }

    /// The message, without the case name.
    public var description: String { message }
}
