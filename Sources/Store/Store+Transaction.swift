import GRDB

extension Store {
    /// Runs `body` inside one SQLite transaction that every store call made by the same thread joins.
    ///
    /// The transaction commits when `body` returns and rolls back when it throws.
    /// A nested call joins the outer transaction (there are no savepoints), so an
    /// error caught inside the outer body does not undo the inner writes.
    /// - Parameter body: The work to run; store calls made inside it join the transaction.
    /// - Throws: The error thrown by `body` unchanged, or ``StoreError`` when SQLite fails.
    /// - Returns: The value returned by `body`.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if joinedDatabase() != nil {
            return try body()
        }
        do {
            return try dbQueue.write { db in
                setTransaction(db)
                defer { setTransaction(nil) }
                return try body()
            }
        } catch let error as DatabaseError {
            throw mapError(error)
        }
    }
}
