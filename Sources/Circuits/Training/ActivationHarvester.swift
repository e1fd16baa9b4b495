// Paired (input hook, output hook) activations computed on the fly from token sequences.
import Models
import Tensor

/// Runs a model on batches of token sequences and collects, for each chosen layer, the activations
/// at the transcoder's input hook and output hook at every real token except position 0.
///
/// Position 0 (BOS or the first token of a window) behaves unlike any other position (attention
/// sinks, huge norms), so it is left out, as are padding positions. The forward pass stops after
/// the last chosen layer and never computes logits; it runs without gradients.
struct ActivationHarvester {
    let model: Transformer
    let layers: [Int]
    let inputHook: String
    let outputHook: String

    /// Full hook names of layer `l`.
    func hooks(_ l: Int) -> (input: String, output: String) { ("blocks.\(l).\(inputHook)", "blocks.\(l).\(outputHook)") }

    /// Activations of `sequences` (each at least 2 tokens): per chosen layer, inputs and targets
    /// `[n, d_model]` in float32 on the model's device, n = Σ (length − 1), rows in sequence order then position order.
    func harvest(_ sequences: [[Int32]]) throws -> (inputs: [Tensor], targets: [Tensor]) {
        let b = sequences.count
        let s = sequences.map(\.count).max() ?? 0
        precondition(b > 0 && s >= 2, "harvest needs sequences of at least 2 tokens")
        var ids = [Int64](repeating: Int64(model.padId), count: b * s)
        var keep: [Int64] = []
        keep.reserveCapacity(b * s)
        for (r, seq) in sequences.enumerated() {
            for (t, id) in seq.enumerated() {
                ids[r * s + t] = Int64(id)
                if t > 0 { keep.append(Int64(r * s + t)) }
            }
        }
        let wanted = Set(layers.flatMap { [hooks($0).input, hooks($0).output] })
        let ctx = HookContext()
        ctx.cacheFilter = { wanted.contains($0) }
        let tokens = try Tensor(ids, shape: [b, s]).to(model.device)
        let index = try Tensor(keep, shape: [keep.count]).to(model.device)
        return try Torch.noGrad {
            var opts = ForwardOptions(hooks: ctx, stopAtLayer: (layers.max() ?? 0) + 1)
            opts.finalHiddenOnly = true  // when the last block is needed, still skip the unembedding
            _ = try model.forward(tokens, opts)
            var inputs: [Tensor] = [], targets: [Tensor] = []
            for l in layers {
                let (hi, ho) = hooks(l)
                guard let x = ctx.cache[hi], let y = ctx.cache[ho] else {
                    throw TrainingError(.option, "the model has no hook \(ctx.cache[hi] == nil ? hi : ho)")
                }
                inputs.append(try rows(x, index))
                targets.append(try rows(y, index))
            }
            return (inputs, targets)
        }
    }

    private func rows(_ a: Tensor, _ index: Tensor) throws -> Tensor {
        let d = a.shape.last!
        let r = try a.reshape([-1, d]).indexSelect(dim: 0, index: index)
        return r.dtype == .float32 ? r : try r.to(.float32)
    }
}
