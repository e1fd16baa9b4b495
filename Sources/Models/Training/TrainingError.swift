// Errors of the training core (trainer options, data, checkpoints, numerical failure).

/// A problem configuring or running training; the message names the option, file or step.
public struct TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad class of a failure.
    public enum Kind: String, Sendable {
        /// An option is out of range or inconsistent with the model (`lr = -1`, `block_size > n_ctx`).
        case option
        /// The training data is unusable (empty, token ids outside the vocabulary, masks of the wrong length).
        case data
        /// A checkpoint cannot be written, read, or belongs to a different configuration.
        case checkpoint
        /// The loss or the gradient norm became NaN or infinite.
        case nonFinite
    }

    /// What class of failure this is.
    public let kind: Kind
    /// A human-readable message naming what was wrong.
    public let message: String

    /// Creates an error of a given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
