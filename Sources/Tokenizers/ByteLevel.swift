// GPT-2's byte-to-character table, used by the ByteLevel pre-tokenizer, decoder and trainer.

/// Maps bytes to the printable characters GPT-2 uses for them, and back.
enum ByteLevel {
    /// The character (scalar value) for each byte.
    static let byteToChar: [UInt32] = {
        var bs: [Int] = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var cs = bs
        var n = 0
        for b in 0..<256 where !bs.contains(b) {
            bs.append(b)
            cs.append(256 + n)
            n += 1
        }
        var table = [UInt32](repeating: 0, count: 256)
        for (b, c) in zip(bs, cs) { table[b] = UInt32(c) }
        return table
    }()

    /// The byte for each character below 0x144, or -1.
    static let charToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, c) in byteToChar.enumerated() { table[Int(c)] = Int16(b) }
        return table
    }()

    /// The 256 characters of the alphabet, in byte order.
    static var alphabet: [UInt32] { byteToChar }

    /// Maps the UTF-8 bytes of some scalars to byte-level characters.
    static func encode(_ s: ArraySlice<UInt32>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(s.count + 4)
        for v in s {
            if v < 0x80 {
                out.append(byteToChar[Int(v)])
            } else if v < 0x800 {
                out.append(byteToChar[Int(0xC0 | (v >> 6))])
                out.append(byteToChar[Int(0x80 | (v & 0x3F))])
            } else if v < 0x10000 {
                out.append(byteToChar[Int(0xE0 | (v >> 12))])
                out.append(byteToChar[Int(0x80 | ((v >> 6) & 0x3F))])
                out.append(byteToChar[Int(0x80 | (v & 0x3F))])
            } else {
                out.append(byteToChar[Int(0xF0 | (v >> 18))])
                out.append(byteToChar[Int(0x80 | ((v >> 12) & 0x3F))])
                out.append(byteToChar[Int(0x80 | ((v >> 6) & 0x3F))])
                out.append(byteToChar[Int(0x80 | (v & 0x3F))])
            }
        }
        return out
    }

    /// The byte a character stands for, if it is in the alphabet.
    @inline(__always)
    static func byte(for c: UInt32) -> UInt8? {
        guard c < 0x144 else { return nil }
        let b = charToByte[Int(c)]
        return b < 0 ? nil : UInt8(b)
    }
}
