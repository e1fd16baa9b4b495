// A JSON document model that keeps object key order, used to read and write tokenizer.json.

/// A parsed JSON value. Objects keep their key order so a saved tokenizer.json reads like the input.
package enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name, for error messages.
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    package var isNull: Bool { if case .null = self { true } else { false } }
}

/// A JSON object with ordered keys, looked up byte-exactly (`"é"` and `"e\u{301}"` are different keys).
package struct JSONObject: Sendable, Equatable {
    package private(set) var pairs: [(String, JSONValue)] = []
    private var index: [TokenKey: Int] = [:]

    package init() {}

    package init(_ pairs: [(String, JSONValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    /// Reserves space for `n` keys.
    package mutating func reserveCapacity(_ n: Int) {
        pairs.reserveCapacity(n)
        index.reserveCapacity(n)
    }

    package subscript(key: String) -> JSONValue? {
        get { index[TokenKey(key)].map { pairs[$0].1 } }
        set {
            let k = TokenKey(key)
            if let newValue {
                if let i = index[k] { pairs[i].1 = newValue } else {
                    index[k] = pairs.count
                    pairs.append((key, newValue))
                }
            } else if let i = index.removeValue(forKey: k) {
                pairs.remove(at: i)
                for j in i..<pairs.count { index[TokenKey(pairs[j].0)] = j }
            }
        }
    }

    package var count: Int { pairs.count }

    package var keys: [String] { pairs.map(\.0) }

    package static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.pairs.count == b.pairs.count
            && zip(a.pairs, b.pairs).allSatisfy { $0.0.bytesEqual($1.0) && $0.1 == $1.1 }
    }
}
