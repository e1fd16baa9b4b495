// The typed error thrown by the Tokenizers module.

/// Describes why a tokenizer could not be loaded, saved or trained.
///
/// Every case carries the file (or other source) it concerns and a human-readable reason; the
/// `description` names both, for example
/// `tokenizer.json at /x: model.type "Unigram" is not supported (supported: BPE, WordPiece)`.
public enum TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file or directory cannot be read or written.
    case io(path: String, reason: String)
    /// The file is not well-formed JSON.
    case invalidJSON(source: String, reason: String)
    /// A required field is missing or has the wrong type or value.
    case invalidFormat(source: String, reason: String)
    /// A component type or option exists in Hugging Face `tokenizers` but is not supported here.
    case unsupported(source: String, reason: String)
    /// Training settings or input are unusable.
    case training(reason: String)

    /// The message, naming the file and what is wrong.
    public var description: String {
        switch self {
        case let .io(path, reason): "tokenizer.json at \(path): \(reason)"
        case let .invalidJSON(source, reason): "tokenizer.json at \(source): invalid JSON: \(reason)"
        case let .invalidFormat(source, reason): "tokenizer.json at \(source): \(reason)"
        case let .unsupported(source, reason): "tokenizer.json at \(source): \(reason)"
        case let .training(reason): "BPE training: \(reason)"
        }
    }
}
