// Model configuration read from (and written back to) a Hugging Face `config.json`.
import Foundation
import JSON

/// A problem loading, configuring or running a model; the message names the file or argument.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with the file or option named.
    public let message: String

    /// Creates an error with `message`.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// RoPE frequency scaling (HF `rope_scaling`).
public enum RopeScaling: Sendable, Equatable {
    /// Positions divided by `factor`.
    case linear(factor: Double)
    /// Llama-3's band-wise smoothing of the inverse frequencies.
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositions: Int)
}

/// Shape and options of a transformer, in TransformerLens-style names.
public struct ModelConfig: Sendable {
    /// HF `model_type` ("gpt2", "llama", "qwen2", "mistral", "bert").
    public var modelType: String
    /// The family that implements this model type (its config, weight names, hooks and forward).
    var family: any ModelArchitecture
    /// Number of transformer blocks.
    public var nLayers: Int
    /// Residual stream width.
    public var dModel: Int
    /// Query heads.
    public var nHeads: Int
    /// Key/value heads (grouped-query attention when < nHeads).
    public var nKVHeads: Int
    /// Width of one head.
    public var dHead: Int
    /// MLP hidden width.
    public var dMLP: Int
    /// Vocabulary size (rows of the embedding).
    public var dVocab: Int
    /// Maximum context (positions).
    public var nCtx: Int
    /// Normalisation epsilon.
    public var normEps: Double
    /// MLP activation ("gelu_new", "gelu", "silu", "relu", "gelu_pytorch_tanh").
    public var activation: String
    /// RoPE base (Llama family).
    public var ropeTheta: Double
    /// RoPE scaling, if any.
    public var ropeScaling: RopeScaling?
    /// Biases on the q/k/v projections (GPT-2, BERT, Qwen2).
    public var qkvBias: Bool
    /// Bias on the attention output projection.
    public var outBias: Bool
    /// Biases in the MLP.
    public var mlpBias: Bool
    /// Output embedding shares the input embedding's weights.
    public var tiedEmbeddings: Bool
    /// Token-type vocabulary (BERT).
    public var typeVocabSize: Int
    /// Beginning-of-sequence token id, if the config names one.
    public var bosTokenId: Int?
    /// End-of-sequence token ids (generation stops at any of them).
    public var eosTokenIds: [Int]
    /// Padding token id, if the config names one.
    public var padTokenId: Int?
    /// The original `config.json` object, kept so that saving writes back every field.
    package var raw: JSONObject

    /// The implementation family.
    public var architecture: Architecture { family.architecture }

    /// The family's name in messages ("GPT-2", "BERT").
    package var architectureName: String { family.displayName }

    /// The `model_type` values Discern can load.
    public static var supportedModelTypes: [String] { ArchitectureRegistry.standard.modelTypes() }

    /// The largest sizes a config may declare. Real checkpoints stay well below them; larger values
    /// are malformed configs, and sizes that are multiplied together stay far from overflow.
    package enum Limits {
        /// Transformer blocks.
        package static let layers = 4096
        /// Residual and MLP widths.
        package static let width = 1 << 20
        /// Query or key/value heads.
        package static let heads = 4096
        /// Width of one head.
        package static let headDim = 4096
        /// Vocabulary (and token-type vocabulary) size.
        package static let vocab = 1 << 24
        /// Context length: Llama-family models precompute RoPE tables up to it.
        package static let positions = 1 << 20
    }

    /// Reads a config from HF `config.json` bytes.
    /// - Parameter source: the file, named in errors.
    /// - Throws: `ModelError` for unknown `model_type`, missing, ill-typed or out-of-range fields
    ///   (sizes, head counts, epsilons, RoPE parameters, special token ids).
    public static func fromHF(_ data: Data, source: String) throws -> ModelConfig {
        try fromHF(data, source: source, registry: .standard)
    }

    /// Reads a config from HF `config.json` bytes, with the families of `registry`.
    static func fromHF(_ data: Data, source: String, registry: ArchitectureRegistry) throws -> ModelConfig {
        let raw: JSONObject
        do {
            guard case .object(let o) = try JSONValue.parse(data) as JSONValue else {
                throw ModelError("\(source): config is not a JSON object")
            }
            raw = o
        } catch let e as ModelError { throw e } catch {
            throw ModelError("\(source): invalid JSON (\(error))")
        }
        let r = Reader(raw: raw, source: source)
        guard let mt = try r.optString("model_type") else {
            throw ModelError("\(source): no \"model_type\" (supported: \(registry.modelTypes().joined(separator: ", ")))")
        }
        guard let family = registry.architecture(modelType: mt) else {
            throw ModelError("\(source): model_type \"\(mt)\" is not supported (supported: \(registry.modelTypes().joined(separator: ", ")))")
        }
        let config = try family.config(r, modelType: mt)
        try config.validate(source: source)
        return config
    }

    /// Checks the config against what the forward implements: the activation, sizes within
    /// `Limits`, head counts that divide, positive finite epsilons and RoPE parameters, and special
    /// token ids inside the vocabulary.
    func validate(source: String) throws {
        let acts = ["gelu_new", "gelu", "silu", "relu", "gelu_pytorch_tanh", "gelu_fast", "swish"]
        guard acts.contains(activation) else {
            throw ModelError("\(source): activation \"\(activation)\" is not supported (supported: \(acts.joined(separator: ", ")))")
        }
        let sizes = [("n_layers", nLayers, Limits.layers), ("d_model", dModel, Limits.width), ("n_heads", nHeads, Limits.heads),
                     ("n_key_value_heads", nKVHeads, Limits.heads), ("d_head", dHead, Limits.headDim),
                     ("d_mlp", dMLP, Limits.width), ("d_vocab", dVocab, Limits.vocab), ("n_ctx", nCtx, Limits.positions)]
        for (name, v, limit) in sizes where v <= 0 || v > limit {
            throw ModelError("\(source): \(name) must be in 1...\(limit), got \(v)")
        }
        guard nHeads % nKVHeads == 0 else {
            throw ModelError("\(source): n_heads \(nHeads) is not a multiple of n_key_value_heads \(nKVHeads)")
        }
        guard normEps.isFinite, normEps > 0 else {
            throw ModelError("\(source): the normalisation epsilon must be a finite number > 0, got \(normEps)")
        }
        try family.validate(self, source: source)
        if let bos = bosTokenId, bos < 0 || bos >= dVocab {
            throw ModelError("\(source): bos_token_id \(bos) is outside the vocabulary [0, \(dVocab))")
        }
        for eos in eosTokenIds where eos < 0 || eos >= dVocab {
            throw ModelError("\(source): eos_token_id \(eos) is outside the vocabulary [0, \(dVocab))")
        }
    }

    /// Takes the special token ids of an HF `generation_config.json` (they override config.json's).
    /// - Throws: `ModelError` for invalid JSON, ill-typed ids or ids outside the vocabulary.
    mutating func applyGenerationConfig(_ data: Data, source: String) throws {
        let gen: JSONObject
        do {
            guard case .object(let o) = try JSONValue.parse(data) as JSONValue else {
                throw ModelError("\(source): generation config is not a JSON object")
            }
            gen = o
        } catch let e as ModelError { throw e } catch {
            throw ModelError("\(source): invalid JSON (\(error))")
        }
        let r = Reader(raw: gen, source: source)
        if gen["eos_token_id"].map({ !$0.isNull }) == true { eosTokenIds = try r.tokenIds("eos_token_id") }
        if let bos = try r.optTokenId("bos_token_id") { bosTokenId = bos }
        if let pad = try r.optTokenId("pad_token_id") { padTokenId = pad }
        try validate(source: source)
    }

    /// The config as HF `config.json` bytes (the original object, with shape fields refreshed).
    public func hfJSON() -> Data {
        var o = raw
        o["model_type"] = .string(modelType)
        o["vocab_size"] = .int(dVocab)
        if o["architectures"] == nil {
            o["architectures"] = .array(family.hfArchitectures(modelType: modelType).map { .string($0) })
        }
        o["torch_dtype"] = o["torch_dtype"] ?? .string("float32")
        return Data(JSONValue.object(o).rendered)
    }

    /// Reads typed fields of a config object; every error names the file and the key.
    struct Reader {
        let raw: JSONObject
        let source: String
        /// Prepended to keys in messages (`rope_scaling.` for the nested object).
        var prefix = ""

        /// The value of `k`, or nil when it is absent or null (HF's "use the default").
        private func value(_ k: String) -> JSONValue? {
            guard let v = raw[k], v != .null else { return nil }
            return v
        }

        private func typeError(_ k: String, _ expected: String, _ v: JSONValue) -> ModelError {
            ModelError("\(source): field \"\(prefix)\(k)\" must be \(expected), got \(v.typeName)")
        }

        /// An integral number in `range` (a value outside Int's range is not an integer).
        private func checked(_ k: String, _ v: JSONValue, _ range: ClosedRange<Int>, why: String? = nil) throws -> Int {
            guard let n = v.intValue else {
                if case .double(let d) = v {
                    throw ModelError("\(source): field \"\(prefix)\(k)\" must be an integer, got \(d)")
                }
                throw typeError(k, "an integer", v)
            }
            guard range.contains(n) else {
                let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
                throw ModelError("\(source): field \"\(prefix)\(k)\" must be \(bound)\(why.map { " (\($0))" } ?? ""), got \(n)")
            }
            return n
        }

        func int(_ k: String, _ range: ClosedRange<Int>, why: String? = nil) throws -> Int {
            guard let v = raw[k] else { throw ModelError("\(source): missing required field \"\(prefix)\(k)\"") }
            return try checked(k, v, range, why: why)
        }

        func optInt(_ k: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let v = value(k) else { return nil }
            return try checked(k, v, range)
        }

        /// A finite number > 0 (epsilons, RoPE bases and factors).
        func positive(_ k: String, _ v: JSONValue) throws -> Double {
            guard let n = v.doubleValue else { throw typeError(k, "a number", v) }
            guard n.isFinite, n > 0 else { throw ModelError("\(source): field \"\(prefix)\(k)\" must be a finite number > 0, got \(n)") }
            return n
        }

        func optPositive(_ k: String) throws -> Double? {
            guard let v = value(k) else { return nil }
            return try positive(k, v)
        }

        func optString(_ k: String) throws -> String? {
            guard let v = value(k) else { return nil }
            guard let s = v.stringValue else { throw typeError(k, "a string", v) }
            return s
        }

        func optBool(_ k: String) throws -> Bool? {
            guard let v = value(k) else { return nil }
            guard let b = v.boolValue else { throw typeError(k, "a boolean", v) }
            return b
        }

        /// A token id (range-checked against the vocabulary in `validate`).
        func optTokenId(_ k: String) throws -> Int? {
            try optInt(k, Int.min...Int.max)
        }

        /// A token id or a list of them (HF allows both for `eos_token_id`).
        func tokenIds(_ k: String) throws -> [Int] {
            guard let v = value(k) else { return [] }
            if case .array(let a) = v {
                return try a.map { e in
                    guard e.intValue != nil else {
                        throw ModelError("\(source): field \"\(prefix)\(k)\" must be an integer or an array of integers, got an array holding \(e.typeName)")
                    }
                    return try checked(k, e, Int.min...Int.max)
                }
            }
            guard v.intValue != nil else { throw typeError(k, "an integer or an array of integers", v) }
            return [try checked(k, v, Int.min...Int.max)]
        }

        /// HF `rope_scaling`: null, or an object naming the type and its parameters.
        func ropeScaling() throws -> RopeScaling? {
            guard let v = value("rope_scaling") else { return nil }
            guard case .object(let o) = v else { throw typeError("rope_scaling", "an object", v) }
            let rs = Reader(raw: o, source: source, prefix: "rope_scaling.")
            let kind = try rs.optString("rope_type") ?? rs.optString("type") ?? "default"
            let factor = try rs.optPositive("factor") ?? 1
            switch kind {
            case "default": return nil
            case "linear": return .linear(factor: factor)
            case "llama3":
                guard let lo = try rs.optPositive("low_freq_factor"), let hi = try rs.optPositive("high_freq_factor"),
                      let orig = try rs.optInt("original_max_position_embeddings", 1...Limits.positions) else {
                    throw ModelError("\(source): rope_scaling llama3 needs low_freq_factor, high_freq_factor and original_max_position_embeddings")
                }
                return .llama3(factor: factor, lowFreqFactor: lo, highFreqFactor: hi, originalMaxPositions: orig)
            default:
                throw ModelError("\(source): rope_scaling type \"\(kind)\" is not supported (supported: default, linear, llama3)")
            }
        }
    }
}
