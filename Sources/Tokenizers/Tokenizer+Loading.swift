// Loading a Tokenizer from a tokenizer.json file or bytes.

import JSON
import Foundation

extension Tokenizer {
    /// Loads a tokenizer from a tokenizer.json file, or from a directory containing one.
    /// - Parameter path: The file or directory.
    /// - Returns: The tokenizer.
    /// - Throws: `TokenizerError` naming the file and the problem (unreadable, bad JSON, unsupported component).
    public static func load(_ path: String) throws(TokenizerError) -> Tokenizer {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw .io(path: path, reason: "no such file or directory")
        }
        let file = isDir.boolValue ? (path as NSString).appendingPathComponent("tokenizer.json") : path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw .io(path: file, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try Tokenizer(json: data, source: file)
    }

    /// Creates a tokenizer from tokenizer.json bytes.
    /// - Parameters:
    ///   - json: The contents of a tokenizer.json file.
    ///   - source: The name used for the file in error messages.
    /// - Throws: `TokenizerError` naming `source` and the problem (bad JSON, an unknown top-level key,
    ///   an unsupported component, a regex that is invalid or backtracks catastrophically).
    public convenience init(json: Data, source: String) throws(TokenizerError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse([UInt8](json))
        } catch {
            throw .invalidJSON(source: source, reason: error.message)
        }
        try self.init(document: value, source: source)
    }

    /// The top-level keys of HF's tokenizer.json.
    static let topLevelKeys = ["version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                               "post_processor", "decoder", "model"]

    /// Creates a tokenizer from a parsed tokenizer.json document.
    convenience init(document: JSONValue, source: String) throws(TokenizerError) {
        let ctx = ConfigContext(source: source)
        guard case .object(let root) = document else {
            throw ctx.invalid("the top level", "must be an object, not \(document.typeName)")
        }
        // HF's serde format has exactly these fields; an unknown one is most likely a misspelt
        // component ("normaliser"), which would otherwise be dropped without a word.
        for key in root.keys where !Self.topLevelKeys.contains(key) {
            throw ctx.invalid("the top level", "has unknown key \"\(key)\" (known: \(Self.topLevelKeys.joined(separator: ", ")))")
        }
        if let v = root["version"], !v.isNull {
            let version = try ctx.string(v, "version")
            guard version == "1.0" else { throw ctx.unsupported("version", version, supported: ["1.0"]) }
        }
        func component(_ key: String) -> JSONValue? {
            guard let v = root[key], !v.isNull else { return nil }
            return v
        }
        let normalizer = try component("normalizer").map { v throws(TokenizerError) in
            try Normalizer.parse(v, "normalizer", ctx)
        }
        let preTokenizer = try component("pre_tokenizer").map { v throws(TokenizerError) in
            try PreTokenizer.parse(v, "pre_tokenizer", ctx)
        }
        let postProcessor = try component("post_processor").map { v throws(TokenizerError) in
            try PostProcessor.parse(v, "post_processor", ctx)
        }
        let decoder = try component("decoder").map { v throws(TokenizerError) in
            try Decoder.parse(v, "decoder", ctx)
        }
        let model = try Model.parse(root["model"], ctx)

        var tokens: [AddedToken] = []
        if let list = component("added_tokens") {
            for (i, item) in try ctx.array(list, "added_tokens").enumerated() {
                let p = "added_tokens[\(i)]"
                let o = try ctx.object(item, p)
                let special = try ctx.bool(o["special"], p + ".special", default: false)
                tokens.append(AddedToken(
                    id: try ctx.tokenId(o["id"], p + ".id"),
                    content: try ctx.string(o["content"], p + ".content"),
                    singleWord: try ctx.bool(o["single_word"], p + ".single_word", default: false),
                    lstrip: try ctx.bool(o["lstrip"], p + ".lstrip", default: false),
                    rstrip: try ctx.bool(o["rstrip"], p + ".rstrip", default: false),
                    normalized: try ctx.bool(o["normalized"], p + ".normalized", default: !special),
                    special: special))
            }
        }
        var added = AddedVocabulary()
        added.add(tokens, modelId: model.tokenToId, modelSize: model.count, normalizer: normalizer)

        var components = JSONObject()
        for key in ["truncation", "padding", "normalizer", "pre_tokenizer", "post_processor", "decoder"] {
            components[key] = root[key] ?? .null
        }
        self.init(normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: postProcessor,
                  decoder: decoder, added: added, components: components, source: source)
    }
}
