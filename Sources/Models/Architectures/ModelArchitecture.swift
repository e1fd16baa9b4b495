// What one transformer family contributes: config parsing, HF weight names, hook names and the
// forward's differences. Each family is one file in this folder; `ArchitectureRegistry` maps HF
// `model_type` values to them.
import Foundation
import JSON
import Tensor

/// The name of a transformer family Discern implements (`gpt2`, `llama`, `bert`).
///
/// Each family declares its name next to its implementation (`Architecture.gpt2` in
/// `GPT2Architecture.swift`); a model's family is `ModelConfig.architecture`.
public struct Architecture: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The family name, as `discern.model` reports it.
    public let rawValue: String

    /// Names a family.
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}

/// How a family normalises: LayerNorm centres and scales (weight and bias), RMSNorm only scales.
enum NormKind {
    case layerNorm
    case rmsNorm
}

/// One transformer family: everything in which it differs from the others.
///
/// A new family is one file holding a conforming type and one line in
/// `ArchitectureRegistry.standard`. The shared forward (`Transformer+Forward.swift`) asks the family
/// for its embeddings and block layout; the shared attention and MLP read what the family built in
/// `assemble` (fused or separate q/k/v, gated or plain MLP, biases).
protocol ModelArchitecture: Sendable {
    /// The family name (`ModelConfig.architecture`).
    var architecture: Architecture { get }
    /// The name used in messages ("GPT-2", "BERT").
    var displayName: String { get }
    /// The HF `model_type` values this family loads, in the order they are listed to users.
    var modelTypes: [String] { get }

    // MARK: config.json

    /// Reads the family's fields of an HF config (`modelType` is one of `modelTypes`).
    /// - Throws: `ModelError` naming the field and `r.source`.
    func config(_ r: ModelConfig.Reader, modelType: String) throws -> ModelConfig
    /// Family-specific checks run by `ModelConfig.validate` after the shared ones (default: none).
    func validate(_ c: ModelConfig, source: String) throws
    /// The HF `architectures` entry written when a config has none.
    func hfArchitectures(modelType: String) -> [String]

    // MARK: Weights

    /// The prefix of the base model's weights in HF checkpoints (`transformer.`, `model.`, `bert.`).
    var weightPrefix: String { get }
    /// The token embedding's weight name after the prefix (`wte.weight`); a tied unembedding shares it.
    var tokenEmbeddingWeight: String { get }
    /// Whether saved weight names carry `weightPrefix` (a causal LM's names do; BERT's do not).
    var savesPrefixed: Bool { get }
    /// The weight-name component followed by a layer index (`h`, `layers`, `layer`), and the config
    /// field holding the layer count, for the error about a checkpoint with more layers than the config.
    var layerKey: (component: String, countField: String) { get }
    /// Builds the modules from the HF-named weights in `w`.
    /// - Throws: `ModelError` naming a missing weight or one of the wrong shape.
    func assemble(_ w: WeightReader) throws -> Transformer.Parts
    /// Draws the weights of a fresh model, in a fixed order, under their HF names (see
    /// `Transformer.initialized`); an untied unembedding is drawn afterwards by the caller.
    /// - Throws: `ModelError` when the family cannot be created from scratch.
    func initialWeights(_ c: ModelConfig, std: Double, normal: (String, [Int], Double) throws -> Void,
                        constant: (String, [Int], Double) throws -> Void) throws
    /// Whether `initialWeights` can create a model of this family.
    var canInitialize: Bool { get }
    /// The linear modules of block `layer` that can carry a LoRA adapter, in model order, with
    /// whether their weight is stored [in, out].
    func adaptableModules(layer: Int) -> [(name: String, fanInFanOut: Bool)]
    /// Checkpoint tensors that are not weights of the forward (buffers and heads HF ignores too).
    func ignoresWeight(_ key: String) -> Bool

    // MARK: Forward

    /// Whether attention is causal (a language model that generates) rather than bidirectional.
    var isCausal: Bool { get }
    /// The normalisation of the blocks and the final norm.
    var norm: NormKind { get }
    /// Whether positions enter through rotary embeddings (unbounded by `n_ctx`) rather than a
    /// learned table.
    var usesRope: Bool { get }
    /// Hook names before the first block, in execution order.
    var embeddingHooks: [String] { get }
    /// Hook names of one block, relative to `blocks.<l>.`, in execution order.
    var blockHooks: [String] { get }
    /// Hook names after the last block, in execution order.
    var finalHooks: [String] { get }
    /// Adds what follows the token embedding `x` (positions, token types, an embedding norm).
    func embed(_ m: Transformer, _ x: Tensor, positions: Tensor, opts: ForwardOptions, hooks: HookContext?) throws -> Tensor
    /// One block (default: pre-norm, `x + attn(ln1(x))`, then `x + mlp(ln2(x))`).
    func block(_ m: Transformer, _ l: Int, _ input: Tensor, blocked: Tensor?, rope: (Tensor, Tensor)?, cache: KVCache?,
               past: Int, hooks: HookContext?) throws -> Tensor
}

extension ModelArchitecture {
    func validate(_ c: ModelConfig, source: String) throws {}

    var savesPrefixed: Bool { true }

    var canInitialize: Bool { true }

    func initialWeights(_ c: ModelConfig, std: Double, normal: (String, [Int], Double) throws -> Void,
                        constant: (String, [Int], Double) throws -> Void) throws {
        let supported = ArchitectureRegistry.standard.modelTypes { $0.canInitialize }
        throw ModelError("initialized: \(displayName) models cannot be created from scratch (supported: \(supported.joined(separator: ", ")))")
    }

    func ignoresWeight(_ key: String) -> Bool { false }

    var finalHooks: [String] { isCausal ? ["ln_final.hook_scale", "ln_final.hook_normalized"] : [] }

    func embed(_ m: Transformer, _ x: Tensor, positions: Tensor, opts: ForwardOptions, hooks: HookContext?) throws -> Tensor { x }

    func block(_ m: Transformer, _ l: Int, _ input: Tensor, blocked: Tensor?, rope: (Tensor, Tensor)?, cache: KVCache?,
               past: Int, hooks hk: HookContext?) throws -> Tensor {
        let blk = m.blocks[l]
        let resid = try hk.at(l, "hook_resid_pre", input)
        let h1 = try m.norm(resid, blk.ln1, layer: l, prefix: "ln1", hooks: hk)
        let a = try hk.at(l, "hook_attn_out", try m.attention(l, h1, blk, blocked: blocked, rope: rope, cache: cache, past: past, hooks: hk))
        let mid = try hk.at(l, "hook_resid_mid", try resid + a)
        let h2 = try m.norm(mid, blk.ln2, layer: l, prefix: "ln2", hooks: hk)
        let m2 = try hk.at(l, "hook_mlp_out", try m.mlp(l, h2, blk, hooks: hk))
        return try hk.at(l, "hook_resid_post", try mid + m2)
    }
}
