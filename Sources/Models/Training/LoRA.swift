// Low-rank adapters (LoRA, Hu et al. 2021) as PEFT defines them.
import Foundation
import Tensor

/// Which modules get LoRA adapters and how they are scaled and initialised (PEFT's `LoraConfig`).
public struct LoRAConfig: Sendable, Equatable {
    /// The adapter rank r (PEFT's `r`, default 8).
    public var rank: Int
    /// The scaling numerator (PEFT's `lora_alpha`, default 8): updates are scaled by alpha / r
    /// (alpha / √r with `rsLoRA`).
    public var alpha: Double
    /// Module names or name suffixes to adapt, matched as PEFT does: a module is adapted when its
    /// full name equals a target or ends with "." + target (`"attn.c_attn"`, `"c_proj"` — the latter
    /// matching both `attn.c_proj` and `mlp.c_proj` — or `"self_attn.q_proj"`).
    public var targets: [String]
    /// Only adapt modules in these layers (0-based; PEFT's `layers_to_transform`); nil means all.
    public var layers: [Int]?
    /// Rank-stabilised scaling alpha / √r (PEFT's `use_rslora`).
    public var rsLoRA: Bool
    /// Seeds the draws of the A matrices.
    public var seed: UInt64

    /// Creates a configuration; the defaults are PEFT's (r 8, alpha 8, GPT-2's `c_attn`).
    public init(rank: Int = 8, alpha: Double = 8, targets: [String] = ["attn.c_attn"], layers: [Int]? = nil,
                rsLoRA: Bool = false, seed: UInt64 = 0) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
        self.layers = layers
        self.rsLoRA = rsLoRA
        self.seed = seed
    }

    /// The factor the low-rank update is multiplied by: alpha / r, or alpha / √r with `rsLoRA`.
    public var scale: Double { rsLoRA ? alpha / Foundation.sqrt(Double(rank)) : alpha / Double(rank) }
}

/// One adapter on a linear module: the module's output gains `scale · (x Aᵀ) Bᵀ`.
///
/// `a` is [rank, in] (drawn Kaiming-uniform, bound 1/√in, as PEFT's `kaiming_uniform_(a=√5)`),
/// `b` is [out, rank] (zeros), so a fresh adapter leaves the model unchanged.
public struct LoRAAdapter {
    /// The adapted module's full name (`transformer.h.0.attn.c_attn`).
    public let module: String
    /// The down projection A, [rank, in].
    public let a: Tensor
    /// The up projection B, [out, rank].
    public let b: Tensor
    /// The factor applied to the low-rank update.
    public let scale: Double
    /// Whether the base weight is stored [in, out] (GPT-2's Conv1D, PEFT's `fan_in_fan_out`).
    public let fanInFanOut: Bool

    /// The update this adapter adds to the base weight, in the base weight's stored layout:
    /// `scale · B A`, transposed for [in, out] weights.
    /// - Throws: `TorchError` from the backend.
    public func delta() throws -> Tensor {
        let d = try b.matmul(a) * scale
        return fanInFanOut ? try d.transpose(0, 1) : d
    }

    /// The names under which the adapter's tensors are checkpointed (PEFT's, without the adapter name).
    var tensorNames: (a: String, b: String) { (module + ".lora_A.weight", module + ".lora_B.weight") }
}
