// A fast, stable 64-bit hash for configuration hashes and weight/data fingerprints.
import Tensor

/// FNV-1a over 64-bit words (bytes for strings): stable across runs and platforms of the same
/// endianness. Not cryptographic: it detects accidental mismatches (a different config or data
/// set behind a checkpoint), not forgery.
package struct Fingerprint {
    /// The current hash value.
    package private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let prime: UInt64 = 0x100_0000_01B3

    /// Starts from the FNV-1a offset basis.
    package init() {}

    /// Mixes in one 64-bit word.
    package mutating func add(_ word: UInt64) {
        value = (value ^ word) &* Fingerprint.prime
        value ^= value >> 29
    }

    /// Mixes in a string's length and UTF-8 bytes.
    package mutating func add(_ s: String) {
        add(UInt64(s.utf8.count))
        for b in s.utf8 { value = (value ^ UInt64(b)) &* Fingerprint.prime }
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
        bytes.withUnsafeBytes { raw in
            let words = raw.count / 8
            for i in 0..<words { add(raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
            for i in (words * 8)..<raw.count { add(UInt64(raw[i])) }
        }
    }

    /// The value as 16 lowercase hex digits.
    package var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
