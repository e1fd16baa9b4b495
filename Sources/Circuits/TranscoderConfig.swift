import Foundation

/// A transcoder set descriptor: circuit-tracer's `config.yaml`.
///
/// Read and written by a strict, minimal YAML subset (Yams is not a dependency): top-level
/// `key: scalar` lines, one block list (`transcoders:` followed by `- item` lines), `#` comments,
/// and plain, single- or double-quoted scalars. Anything else is an error naming the line.
public struct TranscoderConfig: Sendable, Equatable {
    /// `transcoder_set` (per-layer transcoders) or `cross_layer_transcoder`.
    public var modelKind: String
    /// Hook the transcoders read, relative to a block (e.g. `ln2.hook_normalized`, `mlp.hook_in`).
    public var featureInputHook: String
    /// Hook the transcoders write, relative to a block (e.g. `hook_mlp_out`, `mlp.hook_out`).
    public var featureOutputHook: String
    /// One path per layer, in layer order; relative paths resolve against the config's directory.
    /// Nil when the key is absent: per-layer sets then use the directory's `layer_{i}.safetensors`
    /// and cross-layer transcoders their `W_enc_{i}`/`W_dec_{i}` files (circuit-tracer's rule).
    public var transcoders: [String]?
    /// Other top-level scalar keys (`model_name`, `scan`, `activation`, `k`, …), kept verbatim.
    public var extra: [String: String]

    /// Creates a descriptor.
    public init(modelKind: String = "transcoder_set", featureInputHook: String, featureOutputHook: String,
                transcoders: [String]?, extra: [String: String] = [:]) {
        self.modelKind = modelKind
        self.featureInputHook = featureInputHook
        self.featureOutputHook = featureOutputHook
        self.transcoders = transcoders
        self.extra = extra
    }

    /// Parses `config.yaml` text.
    /// - Parameter path: the file name used in errors.
    /// - Throws: `TranscoderError` naming the file, the line and the problem.
    public static func parse(_ text: String, path: String) throws -> TranscoderConfig {
        var scalars: [String: String] = [:]
        var lists: [String: [String]] = [:]
        var currentList: String?
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = i + 1
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = stripComment(line).trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed == "---" { continue }
            if line.first == " " || line.first == "-" || line.first == "\t" {
                guard trimmed.hasPrefix("- ") || trimmed == "-", let key = currentList else {
                    throw TranscoderError(path, "line \(lineNo): unsupported YAML (only top-level keys and '- item' lists)")
                }
                let item = try unquote(String(trimmed.dropFirst(1)).trimmingCharacters(in: .whitespaces), path: path, line: lineNo)
                lists[key, default: []].append(item)
                continue
            }
            guard let colon = trimmed.firstIndex(of: ":") else {
                throw TranscoderError(path, "line \(lineNo): expected 'key: value'")
            }
            let key = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
            // Keys are plain names (as circuit-tracer's): a quote in a key once read as the start of a
            // quoted string, and yaml() writes keys unquoted.
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }) else {
                throw TranscoderError(path, "line \(lineNo): key \"\(key)\" is not a plain name (letters, digits, _ . -)")
            }
            let value = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            if scalars[key] != nil || lists[key] != nil {
                throw TranscoderError(path, "line \(lineNo): duplicate key \"\(key)\"")
            }
            if value.isEmpty {
                currentList = key
                lists[key] = []
            } else if value.hasPrefix("[") {
                guard value.hasSuffix("]") else { throw TranscoderError(path, "line \(lineNo): unterminated flow list") }
                let inner = value.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                lists[key] = try inner.isEmpty ? [] : inner.split(separator: ",").map {
                    try unquote($0.trimmingCharacters(in: .whitespaces), path: path, line: lineNo)
                }
                currentList = nil
            } else {
                scalars[key] = try unquote(value, path: path, line: lineNo)
                currentList = nil
            }
        }
        func required(_ k: String) throws -> String {
            guard let v = scalars[k] else { throw TranscoderError(path, "missing key \"\(k)\"") }
            return v
        }
        let kind = try required("model_kind")
        guard kind == "transcoder_set" || kind == "cross_layer_transcoder" else {
            throw TranscoderError(path, "model_kind is \"\(kind)\", expected transcoder_set or cross_layer_transcoder")
        }
        let list = lists.removeValue(forKey: "transcoders")
        if scalars["transcoders"] != nil { throw TranscoderError(path, "\"transcoders\" must be a list") }
        if let other = lists.keys.sorted().first {
            throw TranscoderError(path, "unsupported list key \"\(other)\"")
        }
        let input = try required("feature_input_hook")
        let output = try required("feature_output_hook")
        for k in ["model_kind", "feature_input_hook", "feature_output_hook"] { scalars[k] = nil }
        return TranscoderConfig(modelKind: kind, featureInputHook: input, featureOutputHook: output,
                                transcoders: list, extra: scalars)
    }

    /// The names the `activation` key may take: `relu`, `topk` (with a positive integer `k`) and
    /// `jump_relu` override what the layer files imply, as in circuit-tracer's `load_transcoder_set`.
    public static let knownActivations = ["jump_relu", "relu", "topk"]

    /// The activation the config names, or nil when it names none (the files then decide).
    /// - Parameter path: the config file, named in errors.
    /// - Throws: `TranscoderError` for an unknown activation or a TopK `k` that is not a positive integer.
    func activation(path: String) throws -> TranscoderActivation? {
        switch extra["activation"] {
        case nil: return nil
        case "topk":
            guard let ks = extra["k"], let k = Int(ks), k > 0 else {
                throw TranscoderError(path, "activation topk needs a positive integer \"k\", got \(extra["k"].map { "\"\($0)\"" } ?? "none")")
            }
            return .topK(k)
        case "relu": return .relu
        case "jump_relu": return .jumpReLU
        case let other?:
            throw TranscoderError(path, "activation \"\(other)\" is not supported (supported: \(Self.knownActivations.joined(separator: ", ")))")
        }
    }

    /// The optional size keys and the sizes they state: `n_layers`, `d_model` and the feature width
    /// (`d_transcoder`, also spelt `d_tc`, `d_sae` or `width`).
    static let sizeKeys: [(key: String, size: Size)] = [
        ("n_layers", .layers), ("d_model", .dModel), ("d_transcoder", .width), ("d_tc", .width), ("d_sae", .width),
        ("width", .width),
    ]

    /// A size a config may state.
    enum Size { case layers, dModel, width }

    /// Checks the sizes the config states (if any) against those of the layer files.
    /// - Parameters:
    ///   - path: the config file; `files` names the layer files in the message.
    /// - Throws: `TranscoderError` naming the key, the config's value and the files' value.
    func checkSizes(nLayers: Int, dModel: Int, width: Int, path: String, files: String) throws {
        for (key, size) in Self.sizeKeys {
            guard let v = extra[key] else { continue }
            guard let n = Int(v), n > 0 else { throw TranscoderError(path, "\(key) is \"\(v)\", expected a positive integer") }
            let actual: Int
            switch size {
            case .layers: actual = nLayers
            case .dModel: actual = dModel
            case .width: actual = width
            }
            guard n == actual else {
                throw TranscoderError(path, "\(key) is \(n), but \(files) \(size == .layers ? "hold \(actual) layers" : "have \(key) \(actual)")")
            }
        }
    }

    /// The descriptor as `config.yaml` text (keys in a fixed order, values double-quoted when needed).
    public func yaml() -> String {
        var s = "model_kind: \(Self.quote(modelKind))\n"
        s += "feature_input_hook: \(Self.quote(featureInputHook))\n"
        s += "feature_output_hook: \(Self.quote(featureOutputHook))\n"
        for k in extra.keys.sorted() { s += "\(k): \(Self.quote(extra[k]!))\n" }
        if let transcoders {
            s += transcoders.isEmpty ? "transcoders: []\n" : "transcoders:\n"
            for t in transcoders { s += "  - \(Self.quote(t))\n" }
        }
        return s
    }

    static func stripComment(_ line: String) -> String {
        var quote: Character?
        var escaped = false
        var prev: Character = " "
        for (i, c) in zip(line.indices, line) {
            // Inside double quotes a backslash escapes the next character (`"a \" # b"` is one value).
            if escaped { escaped = false }
            else if quote == "\"", c == "\\" { escaped = true }
            else if let q = quote { if c == q { quote = nil } }
            else if c == "\"" || c == "'" { quote = c }
            else if c == "#" && (prev == " " || prev == "\t" || i == line.startIndex) { return String(line[..<i]) }
            prev = c
        }
        return line
    }

    static func unquote(_ v: String, path: String, line: Int) throws -> String {
        guard let first = v.first, first == "\"" || first == "'" else { return v }
        guard v.count >= 2, v.last == first else { throw TranscoderError(path, "line \(line): unterminated quoted string") }
        let body = String(v.dropFirst().dropLast())
        if first == "'" { return body.replacingOccurrences(of: "''", with: "'") }
        var out = ""
        var escape = false
        for c in body {
            if escape {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\\", "\"", "/": out.append(c)
                default: throw TranscoderError(path, "line \(line): unsupported escape \\\(c)")
                }
                escape = false
            } else if c == "\\" { escape = true } else { out.append(c) }
        }
        return out
    }

    static func quote(_ v: String) -> String {
        let plain = !v.isEmpty && v.allSatisfy { $0.isLetter || $0.isNumber || "._/-+@".contains($0) }
            && !["true", "false", "null", "yes", "no", "~"].contains(v.lowercased())
        if plain { return v }
        return "\"" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
