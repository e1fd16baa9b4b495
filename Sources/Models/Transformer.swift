// Transformer models over the Tensor API, with hook points; the families are in `Architectures/`.
import Foundation
import Tensor
import Tokenizers

/// An affine layer `x @ W^T + b` over a weight stored as [out, in] (GPT-2's Conv1D weights are
/// stored [in, out] and used through a transposed view).
struct Linear {
    /// The weight as [out, in] (possibly a transposed view of the stored tensor).
    var weight: Tensor
    var bias: Tensor?
    /// A low-rank adapter added to the output (`x A^T B^T · scale`, as PEFT), if any.
    var lora: LoRAAdapter?

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y = try x.linear(weight, bias: bias)
        guard let l = lora else { return y }
        return try y + x.linear(l.a).linear(l.b) * l.scale
    }
}

/// Normalisation weights (LayerNorm has a bias, RMSNorm does not).
struct Norm {
    var weight: Tensor
    var bias: Tensor?
}

/// One transformer block's weights.
struct Block {
    var ln1: Norm
    var ln2: Norm
    /// GPT-2: fused q/k/v projection.
    var qkv: Linear?
    var q: Linear?
    var k: Linear?
    var v: Linear?
    var o: Linear
    /// GPT-2/BERT: up projection; Llama: gate projection.
    var fcIn: Linear
    /// Llama: up projection (multiplied with the activated gate).
    var fcUp: Linear?
    var fcOut: Linear
}

/// A key/value cache for incremental decoding: per layer [batch, n_kv_heads, capacity, d_head].
public final class KVCache {
    var keys: [Tensor]
    var values: [Tensor]
    /// Positions filled so far.
    public internal(set) var length = 0
    /// Positions the cache can hold.
    public let capacity: Int

    init(config: ModelConfig, batch: Int, capacity: Int, dtype: DType, device: Device) throws {
        self.capacity = capacity
        keys = []
        values = []
        for _ in 0..<config.nLayers {
            keys.append(try Tensor.zeros([batch, config.nKVHeads, capacity, config.dHead], dtype: dtype, device: device))
            values.append(try Tensor.zeros([batch, config.nKVHeads, capacity, config.dHead], dtype: dtype, device: device))
        }
    }

    /// Keeps only the batch rows `rows` (in that order).
    func select(rows: Tensor) throws {
        for i in keys.indices {
            keys[i] = try keys[i].indexSelect(dim: 0, index: rows)
            values[i] = try values[i].indexSelect(dim: 0, index: rows)
        }
    }
}

/// A loaded transformer: configuration, weights, tokenizer and a hookable forward pass.
///
/// Coordinates are 0-based (layers, positions, heads). Not thread-safe: use one model per thread.
public final class Transformer {
    /// Shape and options.
    public let config: ModelConfig
    /// The tokenizer read from the model directory, if any.
    public let tokenizer: Tokenizer?
    /// Element type of the weights.
    public let dtype: DType
    /// Device holding the weights.
    public let device: Device
    /// Every weight under its Hugging Face name (what `save` writes).
    public internal(set) var parameters: [String: Tensor]
    /// Where the model was loaded from, if anywhere.
    public let source: String?
    /// Tokenizer side files (`tokenizer_config.json`, …) carried from load to save.
    public var auxiliaryFiles: [String: Data] = [:]

    var blocks: [Block] = []
    var embed: Tensor
    var posEmbed: Tensor?
    var typeEmbed: Tensor?
    var embedNorm: Norm?
    var finalNorm: Norm?
    var unembed: Tensor?
    /// The unembedding as a contiguous [d_model, d_vocab] matrix (CPU): OpenBLAS multiplies
    /// x @ U^T about 1.3× faster from this layout than from U's [d_vocab, d_model].
    var unembedT: Tensor?
    var rope: (cos: Tensor, sin: Tensor)?
    /// Causal-mask helper: [n_ctx] int64 positions on the model's device.
    var arangeCache: Tensor?
    /// LoRA adapters by module name (`transformer.h.0.attn.c_attn`); see `Transformer+LoRA.swift`.
    var adapters: [String: LoRAAdapter] = [:]
    /// Whether the weights are laid out for training (see `Transformer+Training.swift`): no
    /// transposed copy of the unembedding, so every weight is one tensor the optimiser updates.
    var trainingLayout = false

    /// Builds a model from a config and weights named as in Hugging Face checkpoints.
    ///
    /// Names may carry the usual prefixes (`transformer.`, `model.`, `bert.`) or not.
    /// - Throws: `ModelError` naming a missing weight or a weight whose shape does not match the config.
    public init(config: ModelConfig, weights: [String: Tensor], tokenizer: Tokenizer?, dtype: DType = .float32,
                device: Device = .cpu, source: String? = nil) throws {
        try config.validate(source: source ?? "config")
        self.config = config
        self.tokenizer = tokenizer
        self.dtype = dtype
        self.device = device
        self.source = source
        let w = try WeightReader(weights: weights, config: config, dtype: dtype, device: device, source: source ?? "weights")
        let parts = try Transformer.assemble(w, adapters: [:])
        try w.checkAllUsed()
        blocks = parts.blocks
        embed = parts.embed
        posEmbed = parts.posEmbed
        typeEmbed = parts.typeEmbed
        embedNorm = parts.embedNorm
        finalNorm = parts.finalNorm
        unembed = parts.unembed
        parameters = w.used
        if config.family.usesRope {
            // The tables grow on demand in forward (up to Transformer.maxRopePositions).
            rope = try Transformer.ropeTables(config: config, positions: Swift.min(config.nCtx, 4096), dtype: dtype, device: device)
        }
        try transposeUnembedding()
    }

    /// The modules of a model built from named weights.
    struct Parts {
        var blocks: [Block] = []
        var embed: Tensor
        var posEmbed: Tensor?
        var typeEmbed: Tensor?
        var embedNorm: Norm?
        var finalNorm: Norm?
        var unembed: Tensor?
    }

    /// Builds the modules from the weights in `w` (recording the ones used in `w.used`), attaching
    /// the LoRA adapters named in `adapters`.
    static func assemble(_ w: WeightReader, adapters: [String: LoRAAdapter]) throws -> Parts {
        w.adapters = adapters
        return try w.config.family.assemble(w)
    }

    /// Rebuilds the modules from `parameters` and `adapters` (after weights or adapters were
    /// replaced). With `training`, the unembedding stays one tensor (no transposed copy), so that
    /// every module uses the tensors in `parameters` directly.
    package func reassemble(training: Bool) throws {
        let w = try WeightReader(weights: parameters, config: config, dtype: dtype, device: device, source: source ?? "weights")
        // Views of gradient-tracking weights must be recorded by autograd, whatever the caller's mode.
        let parts = try Torch.withGradEnabled(true) { try Transformer.assemble(w, adapters: adapters) }
        blocks = parts.blocks
        embed = parts.embed
        posEmbed = parts.posEmbed
        typeEmbed = parts.typeEmbed
        embedNorm = parts.embedNorm
        finalNorm = parts.finalNorm
        unembed = parts.unembed
        unembedT = nil
        parameters = w.used
        trainingLayout = training
        if !training { try transposeUnembedding() }
    }

    /// On CPU, stores the unembedding transposed and contiguous, and makes the HF-layout weight (and
    /// a tied input embedding) a view of it, so the model holds one copy.
    private func transposeUnembedding() throws {
        guard device == .cpu, let u = unembed else { return }
        let ut = try u.transpose(0, 1).contiguous()
        let view = try ut.transpose(0, 1)
        unembedT = ut
        unembed = view
        if config.tiedEmbeddings {
            embed = view
            for key in parameters.keys where key.hasSuffix(config.family.tokenEmbeddingWeight) {
                parameters[key] = view
            }
        } else {
            parameters["lm_head.weight"] = view
        }
    }

    /// The most positions a RoPE table covers (`ModelConfig.Limits.positions`).
    static let maxRopePositions = ModelConfig.Limits.positions

    /// Cosine and sine tables [positions, d_head] for rotary embeddings (HF's half-split layout).
    static func ropeTables(config c: ModelConfig, positions: Int, dtype: DType, device: Device) throws -> (cos: Tensor, sin: Tensor) {
        let half = c.dHead / 2
        var inv = (0..<half).map { i -> Double in
            // HF computes the exponent in float32; mirror that rounding.
            let e = Float(2 * i) / Float(c.dHead)
            return Double(Float(1.0) / Float(Foundation.pow(Double(c.ropeTheta), Double(e))))
        }
        switch c.ropeScaling {
        case nil: break
        case .linear(let factor): inv = inv.map { $0 / factor }
        case .llama3(let factor, let lo, let hi, let orig):
            let lowWave = Double(orig) / lo
            let highWave = Double(orig) / hi
            inv = inv.map { f in
                let wave = 2 * Double.pi / f
                if wave < highWave { return f }
                if wave > lowWave { return f / factor }
                let smooth = (Double(orig) / wave - lo) / (hi - lo)
                return (1 - smooth) * f / factor + smooth * f
            }
        }
        var cosv = [Float](repeating: 0, count: positions * c.dHead)
        var sinv = cosv
        for p in 0..<positions {
            for i in 0..<half {
                let a = Float(Double(p)) * Float(inv[i])
                let cv = Foundation.cos(Double(a)), sv = Foundation.sin(Double(a))
                cosv[p * c.dHead + i] = Float(cv); cosv[p * c.dHead + i + half] = Float(cv)
                sinv[p * c.dHead + i] = Float(sv); sinv[p * c.dHead + i + half] = Float(sv)
            }
        }
        let cosT = try Tensor(cosv, shape: [positions, c.dHead]).to(dtype: dtype, device: device)
        let sinT = try Tensor(sinv, shape: [positions, c.dHead]).to(dtype: dtype, device: device)
        return (cosT, sinT)
    }

    /// Hook names in execution order for this architecture.
    public func hookNames() -> [String] {
        let family = config.family
        var names = family.embeddingHooks
        for l in 0..<config.nLayers { names += family.blockHooks.map { "blocks.\(l).\($0)" } }
        return names + family.finalHooks
    }

    /// Whether the model is causal (a language model that generates) rather than a bidirectional encoder.
    package var isCausal: Bool { config.family.isCausal }

    /// A human-readable one-line summary.
    public var summary: String {
        let c = config
        return "\(c.modelType), \(c.nLayers) layers, d_model \(c.dModel), \(c.nHeads) heads, vocab \(c.dVocab), \(dtype.rawValue), \(device)"
    }
}

/// Looks weights up by HF name (with or without the family prefix), checks shapes, converts dtype.
final class WeightReader {
    let weights: [String: Tensor]
    let config: ModelConfig
    let dtype: DType
    let device: Device
    let source: String
    let prefix: String
    var used: [String: Tensor] = [:]
    /// The keys of `weights` that `get` has read.
    var consumed: Set<String> = []
    /// LoRA adapters to attach, by module name (canonical, without `.weight`).
    var adapters: [String: LoRAAdapter] = [:]

    init(weights: [String: Tensor], config: ModelConfig, dtype: DType, device: Device, source: String) throws {
        self.weights = weights
        self.config = config
        self.dtype = dtype
        self.device = device
        self.source = source
        prefix = config.family.weightPrefix
    }

    /// The canonical name written on save: with the family's prefix when it saves one (GPT-2 and
    /// Llama use the causal-LM prefix, BERT none).
    func canonical(_ name: String) -> String {
        config.family.savesPrefixed ? prefix + name : name
    }

    func get(_ name: String, _ shape: [Int], prefixed: Bool = true) throws -> Tensor {
        let candidates = prefixed ? [prefix + name, name] : [name]
        guard let key = candidates.first(where: { weights[$0] != nil }), let t = weights[key] else {
            throw ModelError("\(source): missing weight \"\(prefixed ? canonical(name) : name)\" for \(config.modelType)")
        }
        guard t.shape == shape else {
            throw ModelError("\(source): weight \"\(key)\" has shape \(t.shape), the config implies \(shape)")
        }
        var out = t
        if t.dtype != dtype || t.device != device { out = try t.to(dtype: dtype, device: device) }
        used[prefixed ? canonical(name) : name] = out
        consumed.insert(key)
        return out
    }

    /// Checks that every weight was read, except buffers and heads HF also ignores (GPT-2's
    /// attention masks, Llama's `rotary_emb.inv_freq`, BERT's `position_ids` and pretraining heads,
    /// a saved copy of tied output embeddings).
    /// - Throws: `ModelError` naming an unused weight; one of a block past the config's layer count
    ///   names that count.
    func checkAllUsed() throws {
        let (layerKey, countKey) = config.family.layerKey
        for key in weights.keys.sorted() where !consumed.contains(key) {
            let parts = key.split(separator: ".")
            if let i = parts.firstIndex(where: { $0 == layerKey }), i + 1 < parts.count, let l = Int(parts[i + 1]),
               l >= config.nLayers {
                throw ModelError("\(source): weight \"\(key)\" belongs to layer \(l), but the config has \(countKey) \(config.nLayers)")
            }
            if ignorable(key, tied: config.tiedEmbeddings) { continue }
            throw ModelError("\(source): weight \"\(key)\" is not used by the \(config.modelType) config (check its biases, tied embeddings and sizes)")
        }
    }

    /// Checkpoint tensors that are not weights of the forward: buffers and heads HF ignores too
    /// (each family lists its own; a built-in family's are skipped whichever family reads them).
    func ignorable(_ key: String, tied: Bool) -> Bool {
        if tied && key == "lm_head.weight" { return true }
        return config.family.ignoresWeight(key) || ArchitectureRegistry.standard.architectures.contains { $0.ignoresWeight(key) }
    }

    /// A GPT-2 Conv1D layer stored [in, out] (+ bias [out]).
    func conv1d(_ name: String, _ nIn: Int, _ nOut: Int) throws -> Linear {
        let w = try get(name + ".weight", [nIn, nOut])
        let b = try get(name + ".bias", [nOut])
        return Linear(weight: try w.transpose(0, 1), bias: b, lora: adapters[canonical(name)])
    }

    /// An nn.Linear layer stored [out, in] (+ optional bias [out]).
    func linear(_ name: String, _ nIn: Int, _ nOut: Int, bias: Bool) throws -> Linear {
        let w = try get(name + ".weight", [nOut, nIn])
        return Linear(weight: w, bias: bias ? try get(name + ".bias", [nOut]) : nil, lora: adapters[canonical(name)])
    }
}
