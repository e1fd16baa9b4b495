import Foundation
import Yams

/// A transcoder set descriptor: circuit-tracer's `config.yaml`.
///
/// Read with Yams (any YAML syntax: block or flow style, quoting, comments, anchors), then
/// validated strictly on the parsed tree: a mapping of top-level keys to scalars, where only
/// `transcoders` may be a list (of scalars). Anything else is an error naming the key and line.
/// Written by ``yaml()`` as plain `key: value` lines that circuit-tracer reads.
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
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw TranscoderError(path, "invalid YAML: \(error)")
        }
        guard let root, case .mapping(let mapping) = root else {
            throw TranscoderError(path, "expected a mapping of keys to values at the top level")
        }
        func at(_ n: Node) -> String { n.mark.map { "line \($0.line): " } ?? "" }
        var scalars: [String: String] = [:]
        var lists: [String: [String]] = [:]
        for (k, v) in mapping {
            guard case .scalar(let ks) = k else { throw TranscoderError(path, "\(at(k))keys must be plain strings") }
            let key = ks.string
            // Keys are plain names (as circuit-tracer's); yaml() writes them unquoted.
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }) else {
                throw TranscoderError(path, "\(at(k))key \"\(key)\" is not a plain name (letters, digits, _ . -)")
            }
            if scalars[key] != nil || lists[key] != nil { throw TranscoderError(path, "\(at(k))duplicate key \"\(key)\"") }
            switch v {
            case .scalar where v.null != nil && key == "transcoders":
                lists[key] = []  // `transcoders:` with no items
            case .scalar where v.null != nil:
                throw TranscoderError(path, "\(at(v))key \"\(key)\" has no value")
            case .scalar(let s):
                scalars[key] = s.string
            case .sequence(let items):
                lists[key] = try items.map { item in
                    guard case .scalar(let s) = item else {
                        throw TranscoderError(path, "\(at(item))\"\(key)\" must be a list of plain values")
                    }
                    return s.string
                }
            default:
                throw TranscoderError(path, "\(at(v))unsupported YAML for \"\(key)\" (only scalars and the transcoders list)")
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

    static func quote(_ v: String) -> String {
        let plain = !v.isEmpty && v.first != "-" && v.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._/-+".contains($0)) }
            && !["true", "false", "null", "yes", "no", "~"].contains(v.lowercased())
        if plain { return v }
        var out = "\""
        for u in v.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case _ where u.value < 0x20 || u.value == 0x7F: out += "\\x" + String(format: "%02X", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
