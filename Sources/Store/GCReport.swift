/// Describes what a garbage collection of the cache evicted, or would evict in a dry run.
public struct GCReport: Sendable, Equatable {
    /// The evicted entries of one kind.
    public struct Kind: Sendable, Equatable {
        /// The artifact kind.
        public let kind: String
        /// How many entries of this kind were evicted.
        public let entries: Int
        /// Their size: value bytes plus metadata bytes.
        public let bytes: Int64

        /// Creates a summary from its fields.
        /// - Parameters:
        ///   - kind: The artifact kind.
        ///   - entries: The evicted entry count.
        ///   - bytes: Their size.
        public init(kind: String, entries: Int, bytes: Int64) {
            self.kind = kind
            self.entries = entries
            self.bytes = bytes
        }
    }

    /// Whether nothing was deleted (the report says what would have been).
    public let dryRun: Bool
    /// The evictions per kind, sorted by kind (kinds with none are absent).
    public let kinds: [Kind]
    /// The number of evicted entries.
    public let entries: Int
    /// Their size.
    public let bytes: Int64
    /// The cache's size after the eviction (in a dry run: what it would be).
    public let remainingBytes: Int64
    /// The database's size before (`page_count × page_size`).
    public let fileBytesBefore: Int64
    /// The database's size after the vacuum (in a dry run: unchanged, equal to `fileBytesBefore`).
    public let fileBytesAfter: Int64

    /// Creates a report from its fields.
    /// - Parameters:
    ///   - dryRun: Whether nothing was deleted.
    ///   - kinds: The evictions per kind, sorted by kind.
    ///   - remainingBytes: The cache's size afterwards.
    ///   - fileBytesBefore: The database's size before.
    ///   - fileBytesAfter: The database's size after.
    public init(dryRun: Bool, kinds: [Kind], remainingBytes: Int64, fileBytesBefore: Int64, fileBytesAfter: Int64) {
        self.dryRun = dryRun
        self.kinds = kinds
        self.entries = kinds.reduce(0) { $0 + $1.entries }
        self.bytes = kinds.reduce(0) { $0 + $1.bytes }
        self.remainingBytes = remainingBytes
        self.fileBytesBefore = fileBytesBefore
        self.fileBytesAfter = fileBytesAfter
    }
}
