// Typed accessors and whole-document helpers for JSONValue.

extension JSONValue {
    /// The string, if this is one.
    package var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The boolean, if this is one.
    package var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The number as an exact integer (an integral double counts), if it is one.
    package var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && Swift.abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }
    /// The number, if this is one.
    package var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    /// The array, if this is one.
    package var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The object, if this is one.
    package var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    /// Member `key` of an object (nil for a missing key or a non-object).
    package subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// Parses a complete UTF-8 JSON document.
    /// - Throws: `JSONParser.Failure` naming the byte offset of the first problem.
    package static func parse(_ bytes: some Sequence<UInt8>) throws(JSONParser.Failure) -> JSONValue {
        try JSONParser.parse(Array(bytes))
    }

    /// The value as pretty-printed JSON text (two-space indentation, keys in their order).
    package var rendered: [UInt8] { JSONWriter.render(self) }
}

extension JSONParser.Failure: CustomStringConvertible {
    package var description: String { message }
}
