import Crypto

/// SHA-256 content hashes (swift-crypto), as bytes or lowercase hex: the store's keys and file hashes.
public enum ContentHash {
    /// The 32-byte SHA-256 digest of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// The lowercase hex SHA-256 of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String { hexEncode(sha256(bytes)) }

    /// The lowercase hex SHA-256 of a string's UTF-8 bytes.
    public static func hex(_ s: String) -> String { hex(Array(s.utf8)) }

    /// Lowercase hex digits of `bytes`.
    public static func hexEncode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
