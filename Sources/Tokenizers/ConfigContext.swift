// Typed accessors over parsed tokenizer.json values that produce errors naming the file and field.

import JSON

/// Reads fields of a tokenizer.json document and reports problems with their JSON path.
struct ConfigContext: Sendable {
    /// The file (or other source) named in error messages.
    let source: String

    func invalid(_ path: String, _ message: String) -> TokenizerError {
        .invalidFormat(source: source, reason: "\(path) \(message)")
    }

    func unsupported(_ path: String, _ value: String, supported: [String]) -> TokenizerError {
        let list = supported.joined(separator: ", ")
        return .unsupported(source: source, reason: "\(path) \"\(value)\" is not supported (supported: \(list))")
    }

    func object(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> JSONObject {
        guard let value else { throw invalid(path, "is missing") }
        guard case .object(let o) = value else { throw invalid(path, "must be an object, not \(value.typeName)") }
        return o
    }

    func array(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> [JSONValue] {
        guard let value else { throw invalid(path, "is missing") }
        guard case .array(let a) = value else { throw invalid(path, "must be an array, not \(value.typeName)") }
        return a
    }

    /// Parses every element of the array at `key` (a `Sequence` component's children) with `parse`.
    func list<T>(_ obj: JSONObject, _ key: String, _ path: String,
                 _ parse: (JSONValue, String) throws(TokenizerError) -> T) throws(TokenizerError) -> [T] {
        let items = try array(obj[key], path + "." + key)
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { out.append(try parse(item, "\(path).\(key)[\(i)]")) }
        return out
    }

    func string(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> String {
        guard let value else { throw invalid(path, "is missing") }
        guard case .string(let s) = value else { throw invalid(path, "must be a string, not \(value.typeName)") }
        return s
    }

    /// A string that may be missing or null.
    func optionalString(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> String? {
        guard let value, !value.isNull else { return nil }
        return try string(value, path)
    }

    func bool(_ value: JSONValue?, _ path: String, default def: Bool? = nil) throws(TokenizerError) -> Bool {
        guard let value, !value.isNull else {
            if let def { return def }
            throw invalid(path, "is missing")
        }
        guard case .bool(let b) = value else { throw invalid(path, "must be a boolean, not \(value.typeName)") }
        return b
    }

    /// A boolean that may be missing or null (`nil`).
    func optionalBool(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> Bool? {
        guard let value, !value.isNull else { return nil }
        return try bool(value, path)
    }

    func int(_ value: JSONValue?, _ path: String, default def: Int? = nil) throws(TokenizerError) -> Int {
        guard let value, !value.isNull else {
            if let def { return def }
            throw invalid(path, "is missing")
        }
        switch value {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: throw invalid(path, "must be an integer, not \(value.typeName)")
        }
    }

    /// `model.vocab`: an object of token → id with ids in 0...Int32.max, each id used once (two tokens
    /// sharing an id cannot both be decoded, and the one written back by `jsonData()` was arbitrary).
    func vocab(_ value: JSONValue?) throws(TokenizerError) -> [TokenKey: Int] {
        let obj = try object(value, "model.vocab")
        var vocab: [TokenKey: Int] = [:]
        vocab.reserveCapacity(obj.count)
        var owner: [Int: String] = [:]
        owner.reserveCapacity(obj.count)
        for (k, v) in obj.pairs {
            guard case .int(let id) = v, id >= 0, id <= Int(Int32.max) else {
                throw invalid("model.vocab[\"\(k)\"]", "must be a token id, not \(v.typeName)")
            }
            if let other = owner.updateValue(k, forKey: id) {
                throw invalid("model.vocab[\"\(k)\"]", "has id \(id), which \"\(other)\" has too (ids must be unique)")
            }
            vocab[TokenKey(k)] = id
        }
        return vocab
    }

    /// A non-negative integer token id.
    func tokenId(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> Int {
        let i = try int(value, path)
        guard i >= 0, i <= Int(Int32.max) else {
            throw invalid(path, "must be a token id (0...\(Int32.max)), not \(i)")
        }
        return i
    }

    /// The `type` field of a component object.
    func type(_ obj: JSONObject, _ path: String) throws(TokenizerError) -> String {
        try string(obj["type"], path + ".type")
    }

    /// A single character given as a one-scalar string.
    func char(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> UInt32 {
        let s = try string(value, path)
        let scalars = Array(s.unicodeScalars)
        guard scalars.count == 1 else { throw invalid(path, "must be a single character, not \"\(s)\"") }
        return scalars[0].value
    }
}
