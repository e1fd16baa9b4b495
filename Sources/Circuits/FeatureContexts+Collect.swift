// One pass over a corpus: every layer's transcoder features, top-k positions per feature.
import Models
import Tensor

/// Options of a feature-context pass.
public struct FeatureContextOptions: Sendable, Equatable {
    /// Contexts kept per feature (circuit-tracer/Neuronpedia feature pages show tens).
    public var k: Int
    /// Texts per forward pass.
    public var batchSize: Int
    /// Tokens kept per text (BOS included); longer texts are truncated. Nil: the model's context.
    public var maxTokens: Int?
    /// Prepend the model's BOS token to texts that lack one (circuit-tracer's `ensure_tokenized`).
    public var prependBOS: Bool

    /// Creates options; the defaults are 10 contexts, 8 texts per batch, the model's context, BOS prepended.
    public init(k: Int = 10, batchSize: Int = 8, maxTokens: Int? = nil, prependBOS: Bool = true) {
        self.k = k
        self.batchSize = batchSize
        self.maxTokens = maxTokens
        self.prependBOS = prependBOS
    }
}

extension FeatureContexts {
    /// Tokenizes a corpus as a feature-context pass does: the model's tokenizer, a BOS prepended
    /// when `options.prependBOS` and the model names one, truncated to `options.maxTokens`.
    /// - Throws: `ModelError` without a tokenizer; `FeatureInterpretationError` for a bad `maxTokens`.
    public static func tokenize(_ texts: [String], model: Transformer, options: FeatureContextOptions) throws -> [[Int]] {
        _ = try model.requireTokenizer("feature_contexts")
        let limit = try maxTokens(model: model, options: options)
        let bos: Bool? = options.prependBOS ? (model.config.bosTokenId != nil ? true : nil) : false
        return try texts.map { Array(try model.encode($0, prependBOS: bos).prefix(limit)) }
    }

    static func maxTokens(model: Transformer, options: FeatureContextOptions) throws -> Int {
        let limit = options.maxTokens ?? model.config.nCtx
        guard limit >= 1, limit <= model.config.nCtx else {
            throw FeatureInterpretationError("max_tokens must be in 1...\(model.config.nCtx) (the model's context), got \(limit)")
        }
        return limit
    }

    /// Runs the corpus through the model in batches, encodes every layer's feature input with the
    /// transcoders, and keeps for every (layer, feature) its `k` highest activations with their
    /// positions, its number of active tokens and its activation sum.
    ///
    /// The model runs without gradients and stops before the unembedding. For each batch and layer
    /// the activations `[batch · seq, d_tc]` are masked (padding and position 0 never count), reduced
    /// with one `topk` over the token axis and merged with the running top-`k` by a second `topk` over
    /// at most `[2k, d_tc]`: no per-feature loop runs in Swift during the pass.
    ///
    /// Equal activations (texts that share a prefix give identical ones) are kept in corpus order,
    /// earlier text then earlier position, whatever the batching: the top-k runs on float64 keys
    /// `a · (1 − 2⁻²⁶ · r / R)`, `r` the token's rank in the corpus and `R` the corpus size, which
    /// order equal float32 activations by `r` without reordering different ones and round back to
    /// `a` exactly (for corpora under 2²⁶ tokens; beyond that, ties may be broken arbitrarily).
    /// - Parameters:
    ///   - model: a causal model the transcoders fit (`Transcoders.validate(for:)`).
    ///   - transcoders: the feature basis.
    ///   - tokens: the corpus as token ids, one list per text (position 0 is never scored).
    ///   - options: `k` and `batchSize` are used here (tokens are already truncated).
    ///   - progress: called after each batch with (texts done, texts in all); it may throw to stop.
    /// - Throws: `FeatureInterpretationError` for bad options or an empty corpus; `TranscoderError`
    ///   when the transcoders do not fit the model; `ModelError`, `TorchError`; whatever `progress` throws.
    /// - Complexity: one forward pass per batch and, per layer, one encoder product and two top-k's.
    public static func collect(model: Transformer, transcoders: Transcoders, tokens: [[Int]],
                               options: FeatureContextOptions = FeatureContextOptions(),
                               progress: ((Int, Int) throws -> Void)? = nil) throws -> FeatureContexts {
        let k = options.k
        guard k >= 1 else { throw FeatureInterpretationError("k must be at least 1, got \(k)") }
        guard options.batchSize >= 1 else { throw FeatureInterpretationError("batch_size must be at least 1, got \(options.batchSize)") }
        guard !tokens.isEmpty else { throw FeatureInterpretationError("the corpus is empty") }
        guard model.isCausal else { throw FeatureInterpretationError("feature contexts need a causal model, not \(model.config.architectureName)") }
        try transcoders.validate(for: model)
        for (i, t) in tokens.enumerated() {
            guard !t.isEmpty else { throw FeatureInterpretationError("text \(i) has no tokens") }
            guard t.count <= model.config.nCtx else {
                throw FeatureInterpretationError("text \(i) has \(t.count) tokens, more than the model's context of \(model.config.nCtx)")
            }
            if let bad = t.first(where: { $0 < 0 || $0 >= model.config.dVocab }) {
                throw FeatureInterpretationError("text \(i) has token id \(bad), outside the vocabulary [0, \(model.config.dVocab))")
            }
        }
        let nLayers = transcoders.nLayers
        var runValues: [Tensor?] = Array(repeating: nil, count: nLayers)
        var runLocations: [Tensor?] = Array(repeating: nil, count: nLayers)
        var counts: [Tensor?] = Array(repeating: nil, count: nLayers)
        var sums: [Tensor?] = Array(repeating: nil, count: nLayers)
        // Per batch: which flattened positions count (1, else 0), where each one is in the corpus,
        // and its tie-breaking factor 1 − 2⁻²⁶ · rank / R.
        var valid: Tensor?
        var locations: Tensor?
        var tieFactors: Tensor?
        var offsets = [Int](repeating: 0, count: tokens.count)
        for i in 1..<Swift.max(1, tokens.count) { offsets[i] = offsets[i - 1] + tokens[i - 1].count }
        let corpusSize = Double(offsets[tokens.count - 1] + tokens[tokens.count - 1].count)

        // The transcoders may live on another device than the model (they load on the CPU).
        let encoderDevices = try (0..<nLayers).map { l -> Device in
            switch transcoders {
            case .perLayer(let s): try s[l].wEnc.device
            case .crossLayer(let c): try c.wEnc(layer: l).device
            }
        }

        func process(_ layer: Int, _ x: Tensor) throws {
            let dev = encoderDevices[layer]
            let a = try transcoders.encode(x.device == dev ? x : x.to(dev), layer: layer).to(.float32)
            let width = a.shape[a.ndim - 1]
            let n = a.numel / width
            let flat = try a.reshape([n, width])
            // Padding and position 0 are zeroed: they count as inactive everywhere below.
            let masked = try flat * valid!.to(flat.device)
            let c = try masked.compare(.ne, 0).sum(dims: [0])
            let s = try masked.sum(dims: [0]).to(.float64)
            counts[layer] = try counts[layer].map { try $0 + c } ?? c
            sums[layer] = try sums[layer].map { try $0 + s } ?? s
            let keys = try masked.to(.float64) * tieFactors!.to(flat.device)
            let scored = try keys.maskedFill(masked.compare(.eq, 0), -Double.infinity)
            let (v, i) = try scored.topk(Swift.min(k, n), dim: 0)
            let loc = try locations!.to(flat.device).indexSelect(dim: 0, index: i.reshape([-1])).view(i.shape)
            if runValues[layer] == nil {
                runValues[layer] = try Tensor.full([k, width], -Double.infinity, dtype: .float64, device: flat.device)
                runLocations[layer] = try Tensor.zeros([k, width], dtype: .int64, device: flat.device)
            }
            let mv = try Tensor.cat([runValues[layer]!, v], dim: 0)
            let ml = try Tensor.cat([runLocations[layer]!, loc], dim: 0)
            let (nv, ni) = try mv.topk(k, dim: 0)
            runValues[layer] = nv
            runLocations[layer] = try ml.gather(dim: 0, index: ni)
        }

        let hooks = HookContext()
        for l in 0..<nLayers {
            hooks.add("blocks.\(l).\(transcoders.featureInputHook)") { x, _ in
                try process(l, x)
                return nil
            }
        }
        // Longest texts first, similar lengths together: little padding.
        let order = tokens.indices.sorted { (tokens[$0].count, $1) > (tokens[$1].count, $0) }
        var done = 0, passes = 0
        try Torch.noGrad {
            for start in stride(from: 0, to: order.count, by: options.batchSize) {
                let batch = Array(order[start..<Swift.min(start + options.batchSize, order.count)])
                let seqs = batch.map { tokens[$0] }
                let s = seqs[0].count
                var ok = [Bool](repeating: false, count: batch.count * s)
                var loc = [Int64](repeating: 0, count: batch.count * s)
                var tie = [Double](repeating: 1, count: batch.count * s)
                for (b, t) in batch.enumerated() {
                    for p in 0..<s {
                        ok[b * s + p] = p >= 1 && p < tokens[t].count
                        loc[b * s + p] = Int64(t) << 32 | Int64(p)
                        tie[b * s + p] = 1 - 0x1p-26 * Double(offsets[t] + p) / corpusSize
                    }
                }
                valid = try Tensor(ok.map { $0 ? Float(1) : 0 }, shape: [batch.count * s, 1]).to(model.device)
                locations = try Tensor(loc, shape: [batch.count * s]).to(model.device)
                tieFactors = try Tensor(tie, shape: [batch.count * s, 1]).to(model.device)
                // Right padding needs no attention mask: causal attention never lets a real token see
                // the padding after it, and padded positions are never scored.
                let (ids, _) = try model.pad(seqs, side: .right)
                var fo = ForwardOptions(hooks: hooks)
                fo.finalHiddenOnly = true
                _ = try model.forward(ids, fo)
                passes += 1
                done += batch.count
                try progress?(done, tokens.count)
            }
        }
        return try finish(model: model, tokens: tokens, k: k, runValues: runValues, runLocations: runLocations,
                          counts: counts, sums: sums, passes: passes)
    }

    /// Moves the running tensors into the feature-major result and keeps the texts it refers to.
    private static func finish(model: Transformer, tokens: [[Int]], k: Int, runValues: [Tensor?], runLocations: [Tensor?],
                               counts: [Tensor?], sums: [Tensor?], passes: Int) throws -> FeatureContexts {
        var layers: [Layer] = []
        var referenced = Set<Int>()
        for l in runValues.indices {
            guard let rv = runValues[l], let rl = runLocations[l], let c = counts[l], let s = sums[l] else {
                throw FeatureInterpretationError("layer \(l)'s input hook was not reached in the forward pass")
            }
            let width = rv.shape[1]
            // The keys round back to the activations exactly (see `collect`).
            var values = try rv.transpose(0, 1).contiguous().to(.float32).floats()
            var locs = try rl.transpose(0, 1).contiguous().toArray(Int64.self)
            // Equal activations: earlier text, then earlier position first (the keys ordered them so
            // already; this also orders the slots of a corpus too large for the keys to).
            for f in 0..<width {
                let r = (f * k)..<((f + 1) * k)
                let pairs = zip(values[r], locs[r]).sorted { a, b in
                    a.0 != b.0 ? a.0 > b.0 : (a.0 == -Float.infinity ? false : a.1 < b.1)
                }
                for (j, p) in pairs.enumerated() {
                    values[f * k + j] = p.0
                    locs[f * k + j] = p.0 > -Float.infinity ? p.1 : 0
                    if p.0 > -Float.infinity { referenced.insert(Int(p.1 >> 32)) }
                }
            }
            layers.append(Layer(width: width, values: values, locations: locs,
                                activeCounts: try c.toArray(Int64.self), activationSums: try s.doubles()))
        }
        var texts: [Int: [Int32]] = [:]
        var strings: [Int32: String] = [:]
        let tok = try model.requireTokenizer("feature_contexts")
        for t in referenced {
            let ids = tokens[t].map { Int32($0) }
            texts[t] = ids
            for id in ids where strings[id] == nil { strings[id] = tok.decode([Int(id)]) }
        }
        let special = tok.specialTokenIds
        let firstSpecial = !tokens.isEmpty && tokens.allSatisfy { special.contains($0[0]) }
        var r = FeatureContexts(k: k, textCount: tokens.count, scoredTokenCount: tokens.reduce(0) { $0 + $1.count - 1 },
                                firstTokenIsSpecial: firstSpecial, layers: layers, texts: texts, tokenStrings: strings)
        r.forwardPasses = passes
        return r
    }
}
