// Behavior: the behavioural core shared by Discern's pipelines (issue 14, ../shared/PIPELINES.md).
//
// Sampling with a per-sample cache and a ledger, clustering (k-means, Hungarian matching), contrastive
// n-gram labels, classifier two-sample tests. No Lua here: bindings live in DiscernLua, pipeline logic in
// Stdlib/discern/pipelines/.

/// Errors of the behavioural core, each naming what was wrong.
public struct BehaviorError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words.
    public let message: String
    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
