// Switching a model between its inference layout and its training layout, and the training loss.
import Foundation
import Tensor

extension Transformer {
    /// Whether the model is laid out for training (between `Trainer.run`'s start and end).
    public var isTraining: Bool { trainingLayout }

    /// Lays the model out for training: with LoRA adapters attached, the adapters become
    /// gradient-tracking leaves and the base weights are frozen; otherwise every weight is replaced
    /// by an owned, contiguous copy that tracks gradients (memory-mapped weights are copied, and the
    /// tied unembedding becomes the embedding tensor itself). Tensors obtained from `parameters`
    /// before this call no longer alias the model's weights.
    /// - Throws: `TorchError` from the backend.
    package func prepareForTraining() throws {
        if trainingLayout { return }
        try Torch.noGrad {
            if adapters.isEmpty {
                var fresh: [String: Tensor] = [:]
                for (name, p) in parameters {
                    let c = try p.detach().contiguous()
                    let owned = c.sharesStorage(with: p) ? try c.clone() : c
                    fresh[name] = try owned.requiresGrad(true)
                }
                parameters = fresh
            } else {
                for p in parameters.values where p.requiresGrad { try p.requiresGrad(false) }
                for ad in adapters.values {
                    try ad.a.requiresGrad(true)
                    try ad.b.requiresGrad(true)
                }
            }
        }
        try reassemble(training: true)
    }

    /// Returns the model to its inference layout: gradients dropped, nothing tracks gradients.
    /// - Throws: `TorchError` from the backend.
    package func finishTraining() throws {
        guard trainingLayout else { return }
        for (_, t) in trainableTensors() {
            try t.setGrad(nil)
            try t.requiresGrad(false)
        }
        try reassemble(training: false)
    }

    /// The tensors training updates, sorted by name: the LoRA A and B matrices when adapters are
    /// attached, else every weight (a tied unembedding is the embedding, listed once).
    package func trainableTensors() -> [(name: String, tensor: Tensor)] {
        if !adapters.isEmpty {
            return adapters.values.sorted { $0.module < $1.module }.flatMap { ad in
                [(ad.tensorNames.a, ad.a), (ad.tensorNames.b, ad.b)]
            }
        }
        return parameters.keys.sorted().map { ($0, parameters[$0]!) }
    }

    /// A fingerprint of the model: config, every weight and every adapter (names, shapes, bytes).
    package func fingerprint() throws -> Fingerprint {
        var f = Fingerprint()
        f.add(String(decoding: config.hfJSON(), as: UTF8.self))
        for name in parameters.keys.sorted() {
            f.add(name)
            try f.add(parameters[name]!)
        }
        for name in adapters.keys.sorted() {
            let ad = adapters[name]!
            f.add(name)
            f.add(ad.scale)
            try f.add(ad.a)
            try f.add(ad.b)
        }
        return f
    }

    /// The mean next-token cross-entropy of the model over the scored targets of `data` (nats per
    /// target token), without gradients.
    /// - Parameters:
    ///   - data: the examples (ids inside the vocabulary, at most `config.nCtx` tokens each).
    ///   - batchSize: examples per forward pass.
    ///   - maxExamples: score only the first this many (nil: all).
    /// - Throws: `TrainingError` of kind `data` when the data does not fit the model or is empty;
    ///   `TorchError`.
    public func meanNextTokenLoss(_ data: TokenDataset, batchSize: Int = 8, maxExamples: Int? = nil) throws -> Double {
        guard isCausal else { throw TrainingError(.option, "next-token loss needs a causal language model") }
        guard data.maxToken < config.dVocab, data.blockSize <= config.nCtx else {
            throw TrainingError(.data, "the data does not fit the model (ids below \(config.dVocab), at most \(config.nCtx) tokens per example)")
        }
        guard batchSize >= 1 else { throw TrainingError(.option, "batch_size must be at least 1, got \(batchSize)") }
        let n = Swift.min(data.count, maxExamples ?? data.count)
        guard n > 0 else { throw TrainingError(.data, "no examples to score") }
        var sum = 0.0, count = 0
        try Torch.noGrad {
            for start in stride(from: 0, to: n, by: batchSize) {
                let b = try data.batch(Array(start..<Swift.min(n, start + batchSize)), dtype: dtype, device: device)
                sum += try summedNextTokenLoss(tokens: b.inputs, targets: b.targets, weights: b.weights).item()
                count += b.targetCount
            }
        }
        return sum / Double(count)
    }

    /// The summed next-token cross-entropy of a batch: position t predicts `targets[:, t]` from
    /// tokens 0…t, and `weights` (1 for a scored target, 0 for padding or an unscored prompt token)
    /// selects the targets.
    /// - Parameters:
    ///   - tokens: [batch, seq] int64 inputs.
    ///   - targets: [batch, seq - 1] int64 next tokens (any valid id where the weight is 0).
    ///   - weights: [batch, seq - 1] in the model dtype, or nil when every target counts.
    /// - Returns: a 0-d tensor, the sum of -log p(target) over the selected targets (differentiable).
    /// - Throws: `ModelError` / `TorchError`.
    package func summedNextTokenLoss(tokens: Tensor, targets: Tensor, weights: Tensor?) throws -> Tensor {
        let s = tokens.shape[1]
        var opts = ForwardOptions()
        opts.finalHiddenOnly = true
        let hidden = try forward(tokens, opts).narrow(dim: 1, start: 0, length: s - 1)
        let logits = try unembedT.map { try hidden.matmul($0) } ?? hidden.linear(unembed!)
        let picked = try logits.logSoftmax(dim: -1).gather(dim: -1, index: targets.unsqueeze(-1)).squeeze(dim: -1)
        return try (weights.map { try picked * $0 } ?? picked).sum().neg()
    }
}
