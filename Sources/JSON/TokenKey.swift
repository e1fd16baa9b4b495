// A string key compared by its exact UTF-8 bytes.

/// A string that compares and hashes by its exact UTF-8 bytes.
///
/// Swift's `String` equality uses canonical equivalence (`"é" == "e\u{301}"`), but HF's vocabularies are
/// byte-exact maps where those are different tokens, so every vocabulary lookup goes through this key.
package struct TokenKey: Hashable, Sendable {
    package let string: String

    package init(_ s: String) {
        var s = s
        s.makeContiguousUTF8()
        string = s
    }

    package static func == (a: TokenKey, b: TokenKey) -> Bool {
        var x = a.string, y = b.string
        return x.withUTF8 { xb in y.withUTF8 { yb in xb.elementsEqual(yb) } }
    }

    package func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension String {
    /// Byte-exact equality (no canonical equivalence).
    package func bytesEqual(_ other: String) -> Bool { TokenKey(self) == TokenKey(other) }

    /// Byte-exact prefix test.
    package func hasBytePrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }
}
