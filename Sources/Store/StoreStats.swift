import Foundation

/// Describes what a store holds: cache entries per kind, the file's size and the run count.
public struct StoreStats: Sendable, Equatable {
    /// The cache entries of one kind.
    public struct Kind: Sendable, Equatable {
        /// The artifact kind (for example `"embedding"`).
        public let kind: String
        /// How many entries have this kind.
        public let entries: Int
        /// Their size: the bytes of each value plus the UTF-8 bytes of its metadata.
        public let bytes: Int64
        /// The earliest write time among them.
        public let oldest: Date
        /// The latest write time among them.
        public let newest: Date
        /// The earliest last-access time among them (the first to go under a size limit).
        public let leastRecentlyAccessed: Date

        /// Creates a summary from its fields.
        /// - Parameters:
        ///   - kind: The artifact kind.
        ///   - entries: The entry count.
        ///   - bytes: The summed size.
        ///   - oldest: The earliest write time.
        ///   - newest: The latest write time.
        ///   - leastRecentlyAccessed: The earliest last-access time.
        public init(kind: String, entries: Int, bytes: Int64, oldest: Date, newest: Date, leastRecentlyAccessed: Date) {
            self.kind = kind
            self.entries = entries
            self.bytes = bytes
            self.oldest = oldest
            self.newest = newest
            self.leastRecentlyAccessed = leastRecentlyAccessed
        }
    }

    /// The store file's path.
    public let path: String
    /// One summary per kind, sorted by kind.
    public let kinds: [Kind]
    /// The number of cache entries.
    public let entries: Int
    /// The cache's size: the sum of the kinds' sizes.
    public let bytes: Int64
    /// The database's size: `page_count × page_size` (the WAL file not included).
    public let fileBytes: Int64
    /// The page size in bytes.
    public let pageSize: Int64
    /// Pages on the free list; a vacuum (`gc`) returns `freePages × pageSize` bytes to the file system.
    public let freePages: Int64
    /// The number of recorded runs.
    public let runs: Int

    /// Creates statistics from their fields.
    /// - Parameters:
    ///   - path: The store file.
    ///   - kinds: The per-kind summaries, sorted by kind.
    ///   - fileBytes: `page_count × page_size`.
    ///   - pageSize: The page size.
    ///   - freePages: The free-list page count.
    ///   - runs: The recorded run count.
    public init(path: String, kinds: [Kind], fileBytes: Int64, pageSize: Int64, freePages: Int64, runs: Int) {
        self.path = path
        self.kinds = kinds
        self.entries = kinds.reduce(0) { $0 + $1.entries }
        self.bytes = kinds.reduce(0) { $0 + $1.bytes }
        self.fileBytes = fileBytes
        self.pageSize = pageSize
        self.freePages = freePages
        self.runs = runs
    }
}
