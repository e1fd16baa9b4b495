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
        return migrator
    }
}
