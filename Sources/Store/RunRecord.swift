import Foundation

/// Describes one recorded script run from the `runs` table.
public struct RunRecord: Sendable, Equatable {
    /// The run's identifier, increasing with each new run.
    public let id: Int64
    /// The script that was run.
    public let script: String
    /// The script's arguments.
    public let args: [String]
    /// The time the run began.
    public let startedAt: Date
    /// The time the run ended, or nil while it is still running.
    public let endedAt: Date?
    /// The run status: `"running"`, `"ok"`, `"error"`, `"interrupted"` or free text.
    public let status: String

    /// Creates a record from its fields.
    /// - Parameters:
    ///   - id: The run identifier.
    ///   - script: The script that was run.
    ///   - args: The script's arguments.
    ///   - startedAt: The start time.
    ///   - endedAt: The end time, or nil.
    ///   - status: The run status.
    public init(id: Int64, script: String, args: [String], startedAt: Date, endedAt: Date?, status: String) {
        self.id = id
        self.script = script
        self.args = args
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.status = status
    }
}
