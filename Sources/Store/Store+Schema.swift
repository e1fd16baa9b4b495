import GRDB

extension Store {
    /// The schema migrations, applied in registration order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE cache (
                    key TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    bytes BLOB NOT NULL,
                    meta TEXT,
                    created_at REAL NOT NULL
                );
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    script TEXT NOT NULL,
                    args TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    ended_at REAL,
                    status TEXT NOT NULL
                );
                """)
        }
        // v2: a last-access time per cache entry, for least-recently-used eviction (`gc`).
        // Existing entries start with their creation time.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE cache ADD COLUMN accessed_at REAL NOT NULL DEFAULT 0;
                UPDATE cache SET accessed_at = created_at;
                CREATE INDEX cache_accessed_at ON cache (accessed_at);
                """)
        }
        return migrator
    }
}
