import Foundation
import GRDB

/// Persists content-addressed cache entries and run records in one SQLite file.
///
/// A `Store` wraps a GRDB `DatabaseQueue` opened in WAL mode. It is meant to be
/// used from one thread at a time: while ``transaction(_:)`` runs, the store
/// remembers the open `Database` handle and the calling thread, and every store
/// call made by that thread joins the transaction. A call from another thread
/// during a transaction waits for it to finish instead of joining it.
public final class Store: @unchecked Sendable {
    /// The file-system path of the SQLite file.
    public let path: String

    /// The identifier of the last applied schema migration (for example `"v2"`).
    public let schemaVersion: String

    let dbQueue: DatabaseQueue

    private let lock = NSLock()
    private var transactionDatabase: Database?
    private var transactionThread: ObjectIdentifier?

    /// Returns the default store path for an environment and working directory.
    ///
    /// The result is `$DISCERN_HOME/store.sqlite` when `DISCERN_HOME` is set and
    /// non-empty (a relative `DISCERN_HOME` is resolved against `currentDirectory`),
    /// and `<currentDirectory>/.discern/store.sqlite` otherwise.
    /// - Parameters:
    ///   - environment: The environment variables to consult.
    ///   - currentDirectory: The directory that relative locations are resolved against.
    /// - Returns: The path of the store file.
    public static func defaultPath(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> String {
        if let home = environment["DISCERN_HOME"], !home.isEmpty {
            let base = home.hasPrefix("/") ? home : join(currentDirectory, home)
            return join(base, "store.sqlite")
        }
        return join(join(currentDirectory, ".discern"), "store.sqlite")
    }

    /// Opens the store at `path`, creating the file, its parent directories and the schema when needed.
    ///
    /// The connection uses `journal_mode=WAL`, `synchronous=NORMAL` and a 5 second busy timeout,
    /// and pending migrations are applied.
    /// - Parameter path: The path of the SQLite file.
    /// - Throws: ``StoreError`` with code `store_open` when the path is a directory, cannot be
    ///   created or written, or is not an SQLite database; the message names the path and the reason.
    public init(path: String) throws {
        guard !path.isEmpty else {
            throw StoreError(code: "store_open", message: "cannot open store: the path is empty")
        }
        self.path = path

        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw StoreError.open(path, "the path is a directory")
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !parent.isEmpty {
            do {
                try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw StoreError.open(path, "cannot create directory \(parent): \(error.localizedDescription)")
            }
        }

        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }

        do {
            dbQueue = try DatabaseQueue(path: path, configuration: config)
            let migrator = Self.migrator
            try migrator.migrate(dbQueue)
            schemaVersion = try dbQueue.read { db in
                try migrator.appliedMigrations(db).last ?? ""
            }
        } catch let error as DatabaseError {
            throw StoreError.open(path, Self.reason(error))
        } catch {
            throw StoreError.open(path, "\(error)")
        }
    }

    /// Returns the result of `PRAGMA integrity_check` (`"ok"` when the file is sound).
    /// - Throws: ``StoreError`` when the check cannot run.
    /// - Returns: The check's rows joined by newlines.
    public func integrityCheck() throws -> String {
        try read { db in
            try String?.fetchAll(db, sql: "PRAGMA integrity_check")
                .map { $0 ?? "" }
                .joined(separator: "\n")
        }
    }

    /// Returns the connection's current journal mode (`"wal"` when the store is in WAL mode).
    /// - Throws: ``StoreError`` when the pragma cannot run.
    /// - Returns: The lowercase journal mode name.
    public func journalMode() throws -> String {
        try read { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased() ?? ""
        }
    }

    // MARK: - Internals

    private static func join(_ base: String, _ component: String) -> String {
        base.hasSuffix("/") ? base + component : base + "/" + component
    }

    /// The database handle of the transaction owned by the calling thread, if any.
    func joinedDatabase() -> Database? {
        let thread = ObjectIdentifier(Thread.current)
        lock.lock()
        defer { lock.unlock() }
        guard let db = transactionDatabase, transactionThread == thread else { return nil }
        return db
    }

    func setTransaction(_ db: Database?) {
        let thread = ObjectIdentifier(Thread.current)
        lock.lock()
        defer { lock.unlock() }
        transactionDatabase = db
        transactionThread = db == nil ? nil : thread
    }

    /// Runs `body` with a writable connection, joining the current transaction when there is one.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            if let db = joinedDatabase() { return try body(db) }
            return try dbQueue.write(body)
        } catch {
            throw mapError(error)
        }
    }

    /// Runs `body` with a readable connection, joining the current transaction when there is one.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            if let db = joinedDatabase() { return try body(db) }
            return try dbQueue.read(body)
        } catch {
            throw mapError(error)
        }
    }

    /// Converts any error raised while talking to SQLite into a ``StoreError``.
    func mapError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return StoreError(code: "store_corrupt", message: "store at \(path) is corrupt: \(Self.reason(error))")
            default:
                return StoreError(code: "store_io", message: "store at \(path): \(Self.reason(error))")
            }
        }
        return StoreError(code: "store_io", message: "store at \(path): \(error)")
    }

    static func reason(_ error: DatabaseError) -> String {
        let message = error.message ?? "unknown SQLite error"
        return "\(message) (SQLite code \(error.extendedResultCode.rawValue))"
    }
}
