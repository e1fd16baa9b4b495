/// Represents a JSON-like value with one deterministic textual encoding.
///
/// Two equal values always produce the same ``canonicalJSON()`` text, which
/// makes the encoding suitable for content-addressed cache keys.
public enum CanonicalValue: Equatable, Sendable {
    /// The JSON `null`.
    case null
    /// A boolean.
    case bool(Bool)
    /// A 64-bit signed integer, printed without a fraction.
    case int(Int64)
    /// A finite double, printed with a fraction or exponent.
    case double(Double)
    /// A Unicode string.
    case string(String)
    /// An ordered list of values.
    case array([CanonicalValue])
    /// A map from string keys to values; key order is irrelevant.
    case object([String: CanonicalValue])

    /// Returns the canonical JSON text of the value.
    ///
    /// Object keys are sorted by their UTF-8 bytes, no whitespace is emitted,
    /// strings escape `"` `\` and control characters (non-ASCII stays UTF-8),
    /// integers print as integers and doubles in shortest round-trip form, with
    /// integral doubles below 2^53 in magnitude printed like `3.0` (and `-0.0` as `0.0`).
    /// - Throws: ``StoreError`` with code `bad_value` when a double is NaN or infinite.
    /// - Returns: The canonical JSON text.
    public func canonicalJSON() throws -> String {
        var out = ""
        try Self.write(self, into: &out)
        return out
    }

    private static func write(_ value: CanonicalValue, into out: inout String) throws {
        switch value {
        case .null:
            out += "null"
        case .bool(let b):
            out += b ? "true" : "false"
        case .int(let i):
            out += String(i)
        case .double(let d):
            out += try formatDouble(d)
        case .string(let s):
            writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                try write(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                // The key comes from the dictionary itself, so the lookup cannot miss.
                try write(members[key] ?? .null, into: &out)
            }
            out += "}"
        }
    }

    private static func formatDouble(_ d: Double) throws -> String {
        guard d.isFinite else {
            throw StoreError.badValue("cannot encode non-finite double \(d) as canonical JSON")
        }
        if d == 0 { return "0.0" }
        if d == d.rounded(.towardZero) && Swift.abs(d) < 9_007_199_254_740_992.0 {
            return String(Int64(d)) + ".0"
        }
        return d.description
    }

    private static func writeString(_ s: String, into out: inout String) {
        let hex = Array("0123456789abcdef")
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let v = Int(scalar.value)
                    out += "\\u00"
                    out.append(hex[v >> 4])
                    out.append(hex[v & 0x0f])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
