// Writing a Tokenizer back to tokenizer.json.

import JSON
import Foundation

extension Tokenizer {
    /// The tokenizer as tokenizer.json (HF `tokenizers` loads it).
    ///
    /// Component settings (normalizer, pre-tokenizer, post-processor, decoder, truncation, padding)
    /// are written as they were read; the model and added tokens are written from this tokenizer.
    /// - Returns: Pretty-printed UTF-8 JSON.
    /// - Throws: Never in practice; declared so callers treat serialization as fallible.
    public func jsonData() throws(TokenizerError) -> Data {
        Data(JSONWriter.render(document()))
    }

    /// Writes `jsonData()` to a file, or to `tokenizer.json` inside `path` when it is a directory.
    /// - Parameter path: A file path or an existing directory.
    /// - Throws: `TokenizerError.io` if the file cannot be written.
    public func save(_ path: String) throws(TokenizerError) {
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        let file = exists && isDir.boolValue ? (path as NSString).appendingPathComponent("tokenizer.json") : path
        let data = try jsonData()
        do {
            try data.write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw .io(path: file, reason: "cannot write the file (\(error.localizedDescription))")
        }
    }

    /// The tokenizer.json document.
    func document() -> JSONValue {
        var root = JSONObject()
        root["version"] = .string("1.0")
        root["truncation"] = components["truncation"] ?? .null
        root["padding"] = components["padding"] ?? .null
        root["added_tokens"] = .array(added.sorted.map { t in
            .object(JSONObject([
                ("id", .int(t.id)), ("content", .string(t.content)), ("single_word", .bool(t.singleWord)),
                ("lstrip", .bool(t.lstrip)), ("rstrip", .bool(t.rstrip)), ("normalized", .bool(t.normalized)),
                ("special", .bool(t.special)),
            ]))
        })
        for key in ["normalizer", "pre_tokenizer", "post_processor", "decoder"] {
            root[key] = components[key] ?? .null
        }
        root["model"] = model.json()
        return .object(root)
    }
}
