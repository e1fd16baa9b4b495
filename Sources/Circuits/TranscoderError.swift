/// A transcoder file or set that cannot be read or written, naming the file and the problem.
public struct TranscoderError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file or directory concerned.
    public let path: String
    /// What is wrong with it.
    public let message: String

    /// Creates an error for `path` with `message`.
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    /// `transcoder file <path>: <message>`.
    public var description: String { "transcoder file \(path): \(message)" }
}
