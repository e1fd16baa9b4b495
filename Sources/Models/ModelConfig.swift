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

/// The transformer families Discern implements.
public enum Architecture: String, Sendable {
    /// GPT-2: learned positions, LayerNorm, GELU-tanh, fused c_attn, tied embeddings.
    case gpt2
    /// Llama family (Llama 2/3, Qwen2, Mistral-style): RMSNorm, RoPE, SwiGLU, grouped-query attention.
    case llama
    /// BERT encoder (post-norm, bidirectional), used for sentence embeddings.
    case bert
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
    /// The implementation family.
    public var architecture: Architecture
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

    /// The `model_type` values Discern can load.
    public static let supportedModelTypes = ["gpt2", "llama", "qwen2", "mistral", "bert"]

    /// Reads a config from HF `config.json` bytes.
    /// - Parameter source: the file, named in errors.
    /// - Throws: `ModelError` for unknown `model_type`, missing or ill-typed fields.
    public static func fromHF(_ data: Data, source: String) throws -> ModelConfig {
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
        guard let mt = raw["model_type"]?.stringValue else {
            throw ModelError("\(source): no \"model_type\" (supported: \(supportedModelTypes.joined(separator: ", ")))")
        }
        func eosList() -> [Int] {
            switch raw["eos_token_id"] {
            case .int(let n): return [n]
            case .array(let a): return a.compactMap(\.intValue)
            default: return []
            }
        }
        switch mt {
        case "gpt2":
            let d = try r.int("n_embd")
            let h = try r.int("n_head")
            guard d % h == 0 else { throw ModelError("\(source): n_embd \(d) is not divisible by n_head \(h)") }
            return ModelConfig(
                modelType: mt, architecture: .gpt2, nLayers: try r.int("n_layer"), dModel: d, nHeads: h, nKVHeads: h,
                dHead: d / h, dMLP: try r.optInt("n_inner") ?? 4 * d, dVocab: try r.int("vocab_size"),
                nCtx: try r.int("n_positions"), normEps: try r.optDouble("layer_norm_epsilon") ?? 1e-5,
                activation: raw["activation_function"]?.stringValue ?? "gelu_new", ropeTheta: 0, ropeScaling: nil,
                qkvBias: true, outBias: true, mlpBias: true, tiedEmbeddings: raw["tie_word_embeddings"]?.boolValue ?? true,
                typeVocabSize: 0, bosTokenId: try r.optInt("bos_token_id"), eosTokenIds: eosList(),
                padTokenId: try r.optInt("pad_token_id"), raw: raw)
        case "llama", "qwen2", "mistral":
            let d = try r.int("hidden_size")
            let h = try r.int("num_attention_heads")
            let kv = try r.optInt("num_key_value_heads") ?? h
            guard h % kv == 0 else {
                throw ModelError("\(source): num_attention_heads \(h) is not a multiple of num_key_value_heads \(kv)")
            }
            let dh = try r.optInt("head_dim") ?? (d / h)
            if mt == "mistral", let sw = try r.optInt("sliding_window"), sw < (try r.int("max_position_embeddings")) {
                throw ModelError("\(source): sliding_window attention (\(sw)) is not supported")
            }
            var scaling: RopeScaling?
            if case .object(let rs) = raw["rope_scaling"] ?? .null {
                let kind = rs["rope_type"]?.stringValue ?? rs["type"]?.stringValue ?? "default"
                let factor = rs["factor"]?.doubleValue ?? 1
                switch kind {
                case "default": scaling = nil
                case "linear": scaling = .linear(factor: factor)
                case "llama3":
                    guard let lo = rs["low_freq_factor"]?.doubleValue, let hi = rs["high_freq_factor"]?.doubleValue,
                          let orig = rs["original_max_position_embeddings"]?.doubleValue else {
                        throw ModelError("\(source): rope_scaling llama3 needs low_freq_factor, high_freq_factor and original_max_position_embeddings")
                    }
                    scaling = .llama3(factor: factor, lowFreqFactor: lo, highFreqFactor: hi, originalMaxPositions: Int(orig))
                default:
                    throw ModelError("\(source): rope_scaling type \"\(kind)\" is not supported (supported: default, linear, llama3)")
                }
            }
            let qkvBias = mt == "qwen2" ? true : (raw["attention_bias"]?.boolValue ?? false)
            let outBias = mt == "qwen2" ? false : (raw["attention_bias"]?.boolValue ?? false)
            return ModelConfig(
                modelType: mt, architecture: .llama, nLayers: try r.int("num_hidden_layers"), dModel: d, nHeads: h,
                nKVHeads: kv, dHead: dh, dMLP: try r.int("intermediate_size"), dVocab: try r.int("vocab_size"),
                nCtx: try r.int("max_position_embeddings"), normEps: try r.optDouble("rms_norm_eps") ?? 1e-6,
                activation: raw["hidden_act"]?.stringValue ?? "silu", ropeTheta: try r.optDouble("rope_theta") ?? 10000,
                ropeScaling: scaling, qkvBias: qkvBias, outBias: outBias, mlpBias: raw["mlp_bias"]?.boolValue ?? false,
                tiedEmbeddings: raw["tie_word_embeddings"]?.boolValue ?? (mt == "qwen2" ? false : false),
                typeVocabSize: 0, bosTokenId: try r.optInt("bos_token_id"), eosTokenIds: eosList(),
                padTokenId: try r.optInt("pad_token_id"), raw: raw)
        case "bert":
            let d = try r.int("hidden_size")
            let h = try r.int("num_attention_heads")
            if let pe = raw["position_embedding_type"]?.stringValue, pe != "absolute" {
                throw ModelError("\(source): position_embedding_type \"\(pe)\" is not supported (supported: absolute)")
            }
            return ModelConfig(
                modelType: mt, architecture: .bert, nLayers: try r.int("num_hidden_layers"), dModel: d, nHeads: h,
                nKVHeads: h, dHead: d / h, dMLP: try r.int("intermediate_size"), dVocab: try r.int("vocab_size"),
                nCtx: try r.int("max_position_embeddings"), normEps: try r.optDouble("layer_norm_eps") ?? 1e-12,
                activation: raw["hidden_act"]?.stringValue ?? "gelu", ropeTheta: 0, ropeScaling: nil, qkvBias: true,
                outBias: true, mlpBias: true, tiedEmbeddings: true, typeVocabSize: try r.optInt("type_vocab_size") ?? 2,
                bosTokenId: nil, eosTokenIds: [], padTokenId: try r.optInt("pad_token_id"), raw: raw)
        default:
            throw ModelError("\(source): model_type \"\(mt)\" is not supported (supported: \(supportedModelTypes.joined(separator: ", ")))")
        }
    }

    /// Checks the activation name against what the forward implements.
    func validate(source: String) throws {
        let acts = ["gelu_new", "gelu", "silu", "relu", "gelu_pytorch_tanh", "gelu_fast", "swish"]
        guard acts.contains(activation) else {
            throw ModelError("\(source): activation \"\(activation)\" is not supported (supported: \(acts.joined(separator: ", ")))")
        }
        for (name, v) in [("n_layers", nLayers), ("d_model", dModel), ("n_heads", nHeads), ("d_vocab", dVocab), ("n_ctx", nCtx)] where v <= 0 {
            throw ModelError("\(source): \(name) must be positive, got \(v)")
        }
    }

    /// The config as HF `config.json` bytes (the original object, with shape fields refreshed).
    public func hfJSON() -> Data {
        var o = raw
        o["model_type"] = .string(modelType)
        o["vocab_size"] = .int(dVocab)
        if o["architectures"] == nil {
            switch architecture {
            case .gpt2: o["architectures"] = .array([.string("GPT2LMHeadModel")])
            case .llama: o["architectures"] = .array([.string(modelType == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM")])
            case .bert: o["architectures"] = .array([.string("BertModel")])
            }
        }
        o["torch_dtype"] = o["torch_dtype"] ?? .string("float32")
        return Data(JSONValue.object(o).rendered)
    }

    private struct Reader {
        let raw: JSONObject
        let source: String

        func int(_ k: String) throws -> Int {
            guard let v = raw[k] else { throw ModelError("\(source): missing required field \"\(k)\"") }
            guard let n = v.intValue else { throw ModelError("\(source): field \"\(k)\" is not an integer") }
            return n
        }

        func optInt(_ k: String) throws -> Int? {
            guard let v = raw[k], v != .null else { return nil }
            guard let n = v.intValue else { throw ModelError("\(source): field \"\(k)\" is not an integer") }
            return n
        }

        func optDouble(_ k: String) throws -> Double? {
            guard let v = raw[k], v != .null else { return nil }
            guard let n = v.doubleValue else { throw ModelError("\(source): field \"\(k)\" is not a number") }
            return n
        }
    }
}
