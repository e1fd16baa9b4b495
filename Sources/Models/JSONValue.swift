// A small JSON value type with its own strict parser and deterministic serializer.
//
// Foundation's JSONSerialization blurs booleans and numbers on Linux and offers no depth limit;
// checkpoint headers and configs are untrusted input, so Discern parses them itself.
import Foundation

/// A JSON value.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The number, if this is one.
    public var number: Double? { if case .number(let n) = self { n } else { nil } }
    /// The string, if this is one.
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    /// The boolean, if this is one.
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The array, if this is one.
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The object, if this is one.
    public var object: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    /// The number as an exact integer, if it is one.
    public var int: Int? {
        guard let n = number, n == n.rounded(), Swift.abs(n) < 9.0e15 else { return nil }
        return Int(n)
    }

    /// Member `key` of an object (nil otherwise).
    public subscript(key: String) -> JSONValue? { object?[key] }

    /// A parse failure with the byte offset where it happened.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// Byte offset into the input.
        public let offset: Int
        /// What was expected or found.
        public let message: String
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses UTF-8 JSON text (RFC 8259; nesting depth at most 256).
    /// - Throws: `ParseError` with the offset of the first problem.
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { buf in
            var p = Parser(bytes: buf.bindMemory(to: UInt8.self))
            p.skipWS()
            let v = try p.value(depth: 0)
            p.skipWS()
            if p.i != p.bytes.count { throw p.fail("trailing characters after the JSON value") }
            return v
        }
    }

    /// Serialises the value; object keys sorted, integral numbers without a fraction.
    public func serialized(pretty: Bool = false) throws -> Data {
        var s = ""
        try write(into: &s, indent: pretty ? 0 : nil)
        if pretty { s += "\n" }
        return Data(s.utf8)
    }

    private func write(into s: inout String, indent: Int?) throws {
        let nl: (Int) -> String = { level in indent == nil ? "" : "\n" + String(repeating: "  ", count: level) }
        switch self {
        case .null: s += "null"
        case .bool(let b): s += b ? "true" : "false"
        case .number(let n):
            guard n.isFinite else { throw ModelError("cannot write non-finite number \(n) as JSON") }
            if n == n.rounded(), Swift.abs(n) < 1e15 { s += String(Int64(n)) } else { s += "\(n)" }
        case .string(let str): JSONValue.quote(str, into: &s)
        case .array(let a):
            if a.isEmpty { s += "[]"; return }
            let level = (indent ?? 0) + 1
            s += "["
            for (i, v) in a.enumerated() {
                if i > 0 { s += "," }
                s += nl(level)
                try v.write(into: &s, indent: indent.map { _ in level })
            }
            s += nl(level - 1) + "]"
        case .object(let o):
            if o.isEmpty { s += "{}"; return }
            let level = (indent ?? 0) + 1
            s += "{"
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { s += "," }
                s += nl(level)
                JSONValue.quote(k, into: &s)
                s += indent == nil ? ":" : ": "
                try o[k]!.write(into: &s, indent: indent.map { _ in level })
            }
            s += nl(level - 1) + "}"
        }
    }

    static func quote(_ str: String, into s: inout String) {
        s += "\""
        for u in str.unicodeScalars {
            switch u {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            default:
                if u.value < 0x20 { s += String(format: "\\u%04x", u.value) } else { s.unicodeScalars.append(u) }
            }
        }
        s += "\""
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        func fail(_ m: String) -> ParseError { ParseError(offset: i, message: m) }

        mutating func skipWS() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < 256 else { throw fail("JSON nested deeper than 256 levels") }
            guard i < bytes.count else { throw fail("unexpected end of JSON") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var o: [String: JSONValue] = [:]
                skipWS()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                while true {
                    skipWS()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                    let k = try string()
                    skipWS()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipWS()
                    let v = try value(depth: depth + 1)
                    if o[k] != nil { throw fail("duplicate key \"\(k)\"") }
                    o[k] = v
                    skipWS()
                    guard i < bytes.count else { throw fail("unterminated object") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [JSONValue] = []
                skipWS()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                while true {
                    skipWS()
                    a.append(try value(depth: depth + 1))
                    skipWS()
                    guard i < bytes.count else { throw fail("unterminated array") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                return .number(try number())
            }
        }

        mutating func literal(_ word: String) throws {
            for c in word.utf8 {
                guard i < bytes.count, bytes[i] == c else { throw fail("invalid literal (expected \(word))") }
                i += 1
            }
        }

        mutating func number() throws -> Double {
            let start = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            func digits() -> Int {
                let s = i
                while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
                return i - s
            }
            let intStart = i
            let nInt = digits()
            guard nInt > 0 else { throw fail("invalid number") }
            if nInt > 1, bytes[intStart] == 0x30 { throw fail("leading zero in number") }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard digits() > 0 else { throw fail("digits expected after '.'") }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { throw fail("digits expected in exponent") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            guard let d = Double(text) else { throw fail("invalid number \(text)") }
            return d
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("invalid hex digit in \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1  // opening quote
            var out = [UInt8]()
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                i += 1
                guard i < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if v >= 0xD800, v < 0xDC00 {
                        if i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                            i += 2
                            let lo = try hex4()
                            if lo >= 0xDC00, lo < 0xE000 { v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00) } else { v = 0xFFFD }
                        } else { v = 0xFFFD }
                    } else if v >= 0xDC00, v < 0xE000 { v = 0xFFFD }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(v) ?? "\u{FFFD}")).utf8))
                default: throw fail("invalid escape")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
            return s
        }
    }
}
