/// A feature-interpretation request that cannot be answered (a layer, feature or option out of
/// range, a corpus that does not fit the model, an unreadable cached index).
public struct FeatureInterpretationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong.
    public let message: String

    /// Creates an error with `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
