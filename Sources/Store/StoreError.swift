import Foundation

/// Describes a failure of the store, with a stable machine-readable code.
///
/// Codes:
/// - `store_open`: the store file cannot be opened or created (the message names the path and the SQLite reason).
/// - `store_corrupt`: the database file or a stored value is damaged.
/// - `store_io`: an SQLite or file-system operation failed.
/// - `bad_value`: an argument or value cannot be represented (for example NaN in a canonical value).
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The stable error code (`store_open`, `store_corrupt`, `store_io` or `bad_value`).
    public let code: String
    /// The human-readable explanation.
    public let message: String

    /// Creates an error from a code and a message.
    /// - Parameters:
    ///   - code: The stable error code.
    ///   - message: The human-readable explanation.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// Renders the error as `code: message`.
    public var description: String { "\(code): \(message)" }
}

extension StoreError {
    static func open(_ path: String, _ reason: String) -> StoreError {
        StoreError(code: "store_open", message: "cannot open store at \(path): \(reason)")
    }

    static func badValue(_ message: String) -> StoreError {
        StoreError(code: "bad_value", message: message)
    }
}
