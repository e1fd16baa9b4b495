// A stable content hash for configuration hashes and weight/data fingerprints.
import Crypto
import Tensor

/// SHA-256 (swift-crypto) over the mixed-in words (little-endian 64-bit) and bytes, reported as its
/// first 64 bits: stable across runs and platforms of the same endianness. The same hash as the
/// store's content keys; 64 bits are ample to detect a different config, model or data set behind a
/// checkpoint or a cache entry.
package struct Fingerprint {
    private var hasher = SHA256()
    private var pending: [UInt8] = []

    /// Starts an empty hash.
    package init() { pending.reserveCapacity(1 << 16) }

    private mutating func flush() {
        if pending.isEmpty { return }
        hasher.update(data: pending)
        pending.removeAll(keepingCapacity: true)
    }

    private mutating func append(_ word: UInt64) {
        withUnsafeBytes(of: word.littleEndian) { pending.append(contentsOf: $0) }
        if pending.count >= 1 << 16 { flush() }
    }

    /// Mixes in one 64-bit word.
    package mutating func add(_ word: UInt64) { append(word) }

    /// Mixes in a string's length and UTF-8 bytes.
    package mutating func add(_ s: String) {
        append(UInt64(s.utf8.count))
        pending.append(contentsOf: s.utf8)
        if pending.count >= 1 << 16 { flush() }
    }

    /// Mixes in a double's bit pattern.
    package mutating func add(_ d: Double) { add(d.bitPattern) }

    /// Mixes in an integer.
    package mutating func add(_ n: Int) { add(UInt64(bitPattern: Int64(n))) }

    /// Mixes in each integer of a sequence.
    package mutating func add<S: Sequence>(ints: S) where S.Element: BinaryInteger {
        for x in ints { add(UInt64(truncatingIfNeeded: Int64(x))) }
    }

    /// Adds a tensor's dtype, shape and bytes.
    package mutating func add(_ t: Tensor) throws {
        add(t.dtype.rawValue)
        add(ints: t.shape)
        let bytes = try t.contiguous().rawBytes()
        append(UInt64(bytes.count))
        flush()
        hasher.update(data: bytes)
    }

    /// The first 64 bits of the SHA-256 so far.
    package var value: UInt64 {
        var h = self
        h.flush()
        let digest = Array(h.hasher.finalize())
        return digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The value as 16 lowercase hex digits.
    package var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
