import Foundation
import GRDB

extension Store {
    /// Records the start of a run with status `"running"`.
    /// - Parameters:
    ///   - script: The script being run.
    ///   - args: The script's arguments, stored as a JSON array.
    /// - Throws: ``StoreError`` when the write fails.
    /// - Returns: The new run's identifier.
    public func beginRun(script: String, args: [String]) throws -> Int64 {
        let argsJSON = try CanonicalValue.array(args.map { .string($0) }).canonicalJSON()
        let now = Date().timeIntervalSince1970
        return try write { db in
            try db.execute(
                sql: "INSERT INTO runs (script, args, started_at, ended_at, status) VALUES (?, ?, ?, NULL, 'running')",
                arguments: [script, argsJSON, now])
            return db.lastInsertedRowID
        }
    }

    /// Records the end of a run and its final status.
    /// - Parameters:
    ///   - id: The identifier returned by ``beginRun(script:args:)``.
    ///   - status: The final status, such as `"ok"`, `"error"` or `"interrupted"`.
    /// - Throws: ``StoreError`` with code `bad_value` when no run has that identifier, or when the write fails.
    public func endRun(_ id: Int64, status: String) throws {
        let now = Date().timeIntervalSince1970
        let updated = try write { db in
            try db.execute(
                sql: "UPDATE runs SET ended_at = ?, status = ? WHERE id = ?",
                arguments: [now, status, id])
            return db.changesCount
        }
        if updated == 0 {
            throw StoreError.badValue("no run with id \(id)")
        }
    }

    /// Returns recorded runs, newest first.
    /// - Parameter limit: The maximum number of runs to return.
    /// - Throws: ``StoreError`` with code `bad_value` for a negative limit, `store_corrupt` for a
    ///   malformed row, or another code when the read fails.
    /// - Returns: The runs, newest first.
    public func runs(limit: Int = 50) throws -> [RunRecord] {
        guard limit >= 0 else {
            throw StoreError.badValue("runs(limit:) needs a non-negative limit, got \(limit)")
        }
        let path = self.path
        return try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT id, script, args, started_at, ended_at, status FROM runs ORDER BY id DESC LIMIT ?",
                arguments: [limit])
            return try rows.map { row in
                guard let id = row["id"] as Int64?,
                      let script = row["script"] as String?,
                      let argsJSON = row["args"] as String?,
                      let startedAt = row["started_at"] as Double?,
                      let status = row["status"] as String?,
                      let args = try? JSONDecoder().decode([String].self, from: Data(argsJSON.utf8))
                else {
                    throw StoreError(code: "store_corrupt", message: "store at \(path): malformed run row")
                }
                let endedAt = (row["ended_at"] as Double?).map { Date(timeIntervalSince1970: $0) }
                return RunRecord(
                    id: id, script: script, args: args,
                    startedAt: Date(timeIntervalSince1970: startedAt),
                    endedAt: endedAt, status: status)
            }
        }
    }
}
