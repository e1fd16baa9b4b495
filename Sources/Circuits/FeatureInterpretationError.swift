/// A feature-interpretation request that cannot be answered: a layer, feature or option out of
/// range, a corpus that does not fit the model, or an unreadable cached index.
public struct FeatureInterpretationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is.
    public enum Kind: Sendable, Equatable {
        /// A bad argument, option or corpus.
        case argument
        /// Bytes that are not a valid feature-context index (a corrupt or foreign cache entry).
        case corruptIndex
    }

    /// What is wrong.
    public let message: String
    /// The kind of problem.
    public let kind: Kind

    /// Creates an error with `message`.
    public init(_ message: String, kind: Kind = .argument) {
        self.message = message
        self.kind = kind
    }

    /// The message.
    public var description: String { message }
}
