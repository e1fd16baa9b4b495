import Foundation

/// Holds one cached artifact as stored in the `cache` table.
public struct CacheEntry: Sendable, Equatable {
    /// The content-addressed key (usually a lowercase hex SHA-256).
    public let key: String
    /// The kind of artifact, chosen by the caller (for example `"tensor"`).
    public let kind: String
    /// The artifact's raw bytes.
    public let bytes: [UInt8]
    /// Optional free-form metadata, often JSON.
    public let meta: String?
    /// The time the entry was last written.
    public let createdAt: Date
    /// The time the entry was last read or written, to within ``Store/accessTimeResolution``.
    public let accessedAt: Date

    /// Creates an entry from its fields.
    /// - Parameters:
    ///   - key: The entry key.
    ///   - kind: The artifact kind.
    ///   - bytes: The artifact bytes.
    ///   - meta: Optional metadata.
    ///   - createdAt: The time the entry was written.
    ///   - accessedAt: The time the entry was last read or written (nil: `createdAt`).
    public init(key: String, kind: String, bytes: [UInt8], meta: String?, createdAt: Date, accessedAt: Date? = nil) {
        self.key = key
        self.kind = kind
        self.bytes = bytes
        self.meta = meta
        self.createdAt = createdAt
        self.accessedAt = accessedAt ?? createdAt
    }
}
