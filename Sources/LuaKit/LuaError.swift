/// An error crossing the Swift⇄Lua boundary: raised to Lua as a `discern.Error` value
/// (`code`, `message`, `traceback`), or caught from Lua when a chunk fails.
public struct LuaError: Error, CustomStringConvertible, Sendable {
    /// A short machine-readable class: `arg`, `shape`, `dtype`, `lua`, `interrupted`, `budget`, …
    public var code: String
    /// The human-readable message, prefixed with the function that raised it.
    public var message: String
    /// The Lua traceback where the error was raised, when known.
    public var traceback: String?

    /// Creates an error with a code and message.
    public init(code: String, _ message: String, traceback: String? = nil) {
        self.code = code
        self.message = message
        self.traceback = traceback
    }

    public var description: String { message }

    /// The message followed by the traceback (what the CLI prints).
    public var report: String {
        guard let tb = traceback, !tb.isEmpty else { return message }
        return message + "\n" + tb
    }
}

/// An error from a domain module that knows its Lua error code.
public protocol LuaCodedError: Error {
    /// The `code` field of the `discern.Error` raised for it.
    var luaCode: String { get }
    /// The message (without function-name prefix).
    var luaMessage: String { get }
}
