// Batched generation with a key/value cache, and scoring of continuations.
import Foundation
import Tensor

/// Options of `Transformer.generate`.
public struct GenerationOptions {
    /// Tokens to generate per sample at most.
    public var maxNewTokens = 32
    /// Softmax temperature; 0 means greedy decoding.
    public var temperature = 1.0
    /// Keep only the k most likely tokens (nil: all).
    public var topK: Int?
    /// Keep the smallest set of tokens whose probability reaches p (nil: all).
    public var topP: Double?
    /// Base seed; each sample's stream is derived from it, the prompt text, the prompt's
    /// occurrence number among equal prompts and the sample index, so a sample does not depend on
    /// which other prompts share its batch.
    public var seed: UInt64 = 0
    /// Samples per prompt.
    public var n = 1
    /// Strings that end a sample (the returned text stops before them).
    public var stop: [String] = []
    /// Stop at the model's EOS tokens.
    public var stopAtEOS = true
    /// Rows per forward pass.
    public var batchSize = 32
    /// Force (true) or suppress (false) a BOS token before each prompt; nil follows the tokenizer.
    public var prependBOS: Bool?
    /// Hooks applied at every forward step (e.g. steering).
    public var hooks: HookContext?
    /// Called after each finished sample with (done, total).
    public var progress: ((Int, Int) -> Void)?
    /// Called after every forward pass with (rows, positions per row) — for honest compute ledgers.
    public var onForward: ((Int, Int) -> Void)?

    /// Default options.
    public init() {}
}

/// One generated sample.
public struct GeneratedSample: Sendable {
    /// Index of its prompt (0-based).
    public var promptIndex: Int
    /// Index among the prompt's `n` samples (0-based).
    public var sampleIndex: Int
    /// Generated text (without the prompt, a final EOS token or a stop string).
    public var text: String
    /// Generated token ids (a final EOS included).
    public var tokens: [Int]
    /// Log-probability of each generated token under the model (temperature 1, no filtering).
    public var logprobs: [Double]
    /// Why it stopped: "eos", "stop" or "length".
    public var stopReason: String
}

/// Log-probabilities of a continuation.
public struct ScoredContinuation: Sendable {
    /// Sum of the per-token log-probabilities.
    public var sum: Double
    /// Log-probability of each continuation token.
    public var logprobs: [Double]
    /// The continuation's token ids.
    public var tokens: [Int]
}

/// SplitMix64: small, fast, and good enough to seed per-sample uniform streams.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func uniform() -> Double { Double((next() >> 11) + 1) / Double(1 << 53) }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }
}

extension Transformer {
    /// Generates `n` samples for each prompt.
    ///
    /// Prompts are left-padded in batches (sorted by length) with attention masks and position
    /// ids counted over real tokens, so a padded prompt behaves as it would alone; rows that
    /// finish are dropped from the batch as it shrinks.
    /// - Returns: samples ordered by prompt, then sample index.
    /// - Throws: `ModelError` for invalid options or prompts too long for the context.
    public func generate(_ prompts: [String], _ opts: GenerationOptions = GenerationOptions()) throws -> [GeneratedSample] {
        let ids = try prompts.map { try encode($0, prependBOS: opts.prependBOS) }
        return try generate(tokenPrompts: ids, keys: prompts, opts)
    }

    /// Generates from prompts given as token ids; `keys` (default: the ids) seed each sample.
    /// `occurrences` (default: counted within this call) gives each prompt's occurrence number among
    /// equal keys, so a caller generating in chunks reproduces one whole call's streams.
    public func generate(tokenPrompts: [[Int]], keys: [String]? = nil, occurrences: [Int]? = nil,
                         _ opts: GenerationOptions = GenerationOptions()) throws -> [GeneratedSample] {
        guard isCausal else { throw ModelError("generate: \(config.architectureName) is an encoder; it cannot generate") }
        guard opts.maxNewTokens >= 0 else { throw ModelError("generate: max_new_tokens must be ≥ 0") }
        guard opts.n >= 1 else { throw ModelError("generate: n must be ≥ 1") }
        guard opts.batchSize >= 1 else { throw ModelError("generate: batch_size must be ≥ 1") }
        guard opts.temperature >= 0, opts.temperature.isFinite else { throw ModelError("generate: temperature must be ≥ 0") }
        if let k = opts.topK, k < 1 { throw ModelError("generate: top_k must be ≥ 1") }
        if let p = opts.topP, !(p > 0 && p <= 1) { throw ModelError("generate: top_p must be in (0, 1]") }
        struct Request { var prompt: Int; var sample: Int; var ids: [Int]; var rng: SplitMix64 }
        var requests: [Request] = []
        var seen: [String: Int] = [:]
        for (i, p) in tokenPrompts.enumerated() {
            guard !p.isEmpty else {
                throw ModelError("generate: prompt \(i + 1) encodes to no tokens (give it text or prepend_bos = true)")
            }
            guard p.count + opts.maxNewTokens <= config.nCtx || config.family.usesRope else {
                throw ModelError("generate: prompt \(i + 1) has \(p.count) tokens; with max_new_tokens \(opts.maxNewTokens) it exceeds the context of \(config.nCtx)")
            }
            let key = keys?[i] ?? p.map(String.init).joined(separator: ",")
            let occurrence = occurrences?[i] ?? seen[key, default: 0]
            seen[key] = seen[key, default: 0] + 1
            let base = SplitMix64.fnv1a(key) ^ (opts.seed &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(occurrence) &* 0xD1B5_4A32_D192_ED03)
            for j in 0..<opts.n {
                var mix = SplitMix64(state: base ^ (UInt64(j) &* 0x8CB9_2BA7_2F3D_8DD7))
                _ = mix.next()
                requests.append(Request(prompt: i, sample: j, ids: p, rng: mix))
            }
        }
        // Longest first, so batches hold similar lengths; results are put back in order.
        var results = [GeneratedSample?](repeating: nil, count: requests.count)
        var done = 0
        try Torch.noGrad {
            for idx in lengthBatches(requests.map(\.ids.count), size: opts.batchSize) {
                var rngs = idx.map { requests[$0].rng }
                let out = try decodeLoop(prompts: idx.map { requests[$0].ids }, rngs: &rngs, opts)
                for (k, r) in idx.enumerated() {
                    results[r] = GeneratedSample(promptIndex: requests[r].prompt, sampleIndex: requests[r].sample,
                                                 text: out[k].text, tokens: out[k].tokens, logprobs: out[k].logprobs,
                                                 stopReason: out[k].reason)
                    done += 1
                    opts.progress?(done, requests.count)
                }
            }
        }
        return results.map { $0! }
    }

    private struct RowState {
        var tokens: [Int] = []
        var logprobs: [Double] = []
        var text = ""
        var reason = "length"
        var finished = false
    }

    /// The decoding loop for one batch of prompts (each with its own random stream).
    func decodeLoop(prompts: [[Int]], rngs: inout [SplitMix64], _ opts: GenerationOptions) throws -> [(text: String, tokens: [Int], logprobs: [Double], reason: String)] {
        let b0 = prompts.count
        let p = prompts.map(\.count).max()!
        let cap = p + Swift.max(opts.maxNewTokens, 1)
        var states = [RowState](repeating: RowState(), count: b0)
        if opts.maxNewTokens == 0 {
            return states.map { ($0.text, $0.tokens, $0.logprobs, $0.reason) }
        }
        let eos = opts.stopAtEOS ? Set(config.eosTokenIds) : []
        let padded = prompts.contains { $0.count != p }
        // Host-side state per live row: original row index, mask over cache slots, valid count.
        var live = Array(0..<b0)
        var mask = [[Int64]](repeating: [Int64](repeating: 0, count: cap), count: b0)
        var ids = [Int64](repeating: Int64(padId), count: b0 * p)
        var pos = [Int64](repeating: 0, count: b0 * p)
        for (i, pr) in prompts.enumerated() {
            let off = p - pr.count
            for (j, t) in pr.enumerated() {
                ids[i * p + off + j] = Int64(t)
                mask[i][off + j] = 1
                pos[i * p + off + j] = Int64(j)
            }
            for j in 0..<off { pos[i * p + j] = 1 }  // ignored (masked); as HF does
        }
        var valid = prompts.map { Int64($0.count) }
        let cache = try KVCache(config: config, batch: b0, capacity: cap, dtype: dtype, device: device)
        func maskTensor(_ len: Int) throws -> Tensor? {
            guard padded else { return nil }
            var flat: [Int64] = []
            flat.reserveCapacity(live.count * len)
            for r in live { flat.append(contentsOf: mask[r][0..<len]) }
            return try Tensor(flat, shape: [live.count, len]).to(device)
        }
        var logits = try forward(
            try Tensor(ids, shape: [b0, p]).to(device),
            ForwardOptions(attentionMask: try maskTensor(p), positions: try Tensor(pos, shape: [b0, p]).to(device),
                           hooks: opts.hooks, cache: cache, lastPositionOnly: true))
        opts.onForward?(b0, p)
        var filled = p
        for step in 0..<opts.maxNewTokens {
            var us: [Double] = []
            for r in live { us.append(rngs[r].uniform()) }
            let (next, lps) = try pickTokens(logits, uniforms: us, opts)
            var anyLive = false
            for (k, r) in live.enumerated() {
                guard !states[r].finished else { continue }
                let t = next[k]
                states[r].tokens.append(t)
                states[r].logprobs.append(lps[k])
                if eos.contains(t) {
                    states[r].finished = true
                    states[r].reason = "eos"
                } else if !opts.stop.isEmpty {
                    let text = try decode(states[r].tokens)
                    if let cut = opts.stop.compactMap({ text.range(of: $0)?.lowerBound }).min() {
                        states[r].text = String(text[..<cut])
                        states[r].finished = true
                        states[r].reason = "stop"
                    }
                }
                if !states[r].finished { anyLive = true }
            }
            if !anyLive || step == opts.maxNewTokens - 1 { break }
            // Drop finished rows once they are at least half the batch.
            let keep = live.enumerated().filter { !states[$0.element].finished }
            var nextIds = live.indices.map { Int64(next[$0]) }
            if keep.count * 2 <= live.count {
                let sel = try Tensor(keep.map { Int64($0.offset) }).to(device)
                try cache.select(rows: sel)
                nextIds = keep.map { Int64(next[$0.offset]) }
                live = keep.map(\.element)
            }
            for r in live {
                mask[r][filled] = 1
            }
            var posNow: [Int64] = []
            for r in live { posNow.append(valid[r]); valid[r] += 1 }
            filled += 1
            logits = try forward(
                try Tensor(nextIds, shape: [live.count, 1]).to(device),
                ForwardOptions(attentionMask: try maskTensor(filled), positions: try Tensor(posNow, shape: [live.count, 1]).to(device),
                               hooks: opts.hooks, cache: cache, lastPositionOnly: true))
            opts.onForward?(live.count, 1)
        }
        var out: [(String, [Int], [Double], String)] = []
        for s in states {
            var text = s.text
            if s.reason != "stop" {
                var toks = s.tokens
                if s.reason == "eos" { toks.removeLast() }
                text = tokenizer == nil ? "" : try decode(toks)
            }
            out.append((text, s.tokens, s.logprobs, s.reason))
        }
        return out
    }

    /// Chooses the next token of each row from last-position logits [b, 1, V].
    func pickTokens(_ logits: Tensor, uniforms: [Double], _ opts: GenerationOptions) throws -> ([Int], [Double]) {
        let b = logits.shape[0], v = logits.shape[2]
        var lg = try logits.view([b, v])
        if lg.dtype != .float32 { lg = try lg.to(.float32) }
        let lp = try lg.logSoftmax(dim: -1)
        var chosen: Tensor
        if opts.temperature == 0 {
            chosen = try lg.argmax(dim: -1)
        } else {
            var vals = opts.temperature == 1 ? lg : try lg * (1.0 / opts.temperature)
            var map: Tensor?
            if let k = opts.topK, k < v {
                let t = try vals.topk(k, dim: -1)
                vals = t.values
                map = t.indices
            } else if opts.topP != nil {
                let t = try vals.sort(dim: -1, descending: true)
                vals = t.values
                map = t.indices
            }
            var probs = try vals.softmax(dim: -1)
            if let topP = opts.topP, topP < 1 {
                // Drop tokens whose preceding (more likely) mass already reaches top_p.
                let before = try probs.cumsum(dim: -1) - probs
                probs = try probs.maskedFill(before.compare(.ge, topP), 0)
            }
            let cdf = try probs.cumsum(dim: -1)
            let width = cdf.shape[1]
            let u = try Tensor(uniforms.map { Float($0) }, shape: [b, 1]).to(device)
            let thr = try u * cdf.narrow(dim: 1, start: width - 1, length: 1)
            let pos = try cdf.compare(.lt, thr).sum(dims: [-1]).clamp(max: Double(width - 1))
            chosen = try map.map { try $0.gather(dim: -1, index: pos.unsqueeze(-1)).squeeze(dim: -1) } ?? pos
        }
        let picked = try lp.gather(dim: -1, index: chosen.unsqueeze(-1)).squeeze(dim: -1)
        let ids = try chosen.to(.cpu).toArray(Int64.self).map(Int.init)
        let lps = try picked.to(.cpu).floats().map(Double.init)
        return (ids, lps)
    }

    /// Log-probabilities of `continuations` after `prompts` (pairwise), batched.
    ///
    /// Each prompt is encoded as for generation (BOS per the tokenizer) and each continuation
    /// without special tokens; the continuation's tokens are scored given everything before them.
    /// - Throws: `ModelError` for mismatched lists or an empty continuation.
    public func score(prompts: [String], continuations: [String], batchSize: Int = 16, prependBOS: Bool? = nil) throws -> [ScoredContinuation] {
        guard prompts.count == continuations.count else {
            throw ModelError("score: \(prompts.count) prompts but \(continuations.count) continuations")
        }
        let tok = try requireTokenizer("score")
        var seqs: [[Int]] = []
        var starts: [Int] = []
        for (i, (p, c)) in zip(prompts, continuations).enumerated() {
            var pi = try encode(p, prependBOS: prependBOS)
            if pi.isEmpty {
                guard let b = config.bosTokenId ?? config.eosTokenIds.first else {
                    throw ModelError("score: prompt \(i + 1) is empty and the model has no BOS token to condition on")
                }
                pi = [b]
            }
            let ci = tok.encode(c, addSpecialTokens: false)
            guard !ci.isEmpty else { throw ModelError("score: continuation \(i + 1) encodes to no tokens") }
            seqs.append(pi + ci)
            starts.append(pi.count)
        }
        return try scoreTokens(seqs, starts: starts, batchSize: batchSize)
    }

    /// Log-probabilities of `seqs[i][starts[i]...]` given the tokens before them.
    public func scoreTokens(_ seqs: [[Int]], starts: [Int], batchSize: Int = 16) throws -> [ScoredContinuation] {
        guard isCausal else { throw ModelError("score: \(config.architectureName) is an encoder; it cannot score continuations") }
        guard batchSize >= 1 else { throw ModelError("score: batch_size must be ≥ 1") }
        for (i, s) in seqs.enumerated() {
            guard starts[i] >= 1, starts[i] < s.count else {
                throw ModelError("score: sequence \(i + 1) needs at least one context and one scored token")
            }
            guard s.count <= config.nCtx || config.family.usesRope else {
                throw ModelError("score: sequence \(i + 1) has \(s.count) tokens, more than the context of \(config.nCtx)")
            }
        }
        var results = [ScoredContinuation?](repeating: nil, count: seqs.count)
        try Torch.noGrad {
            for idx in lengthBatches(seqs.map(\.count), size: batchSize) {
                let batch = idx.map { seqs[$0] }
                let (tokens, mask) = try pad(batch, side: .right)
                let s = tokens.shape[1]
                let logits = try forward(tokens, ForwardOptions(attentionMask: batch.contains { $0.count != s } ? mask : nil))
                let lp = try logits.narrow(dim: 1, start: 0, length: s - 1).to(.float32).logSoftmax(dim: -1)
                let targets = try tokens.narrow(dim: 1, start: 1, length: s - 1)
                let got = try lp.gather(dim: -1, index: targets.unsqueeze(-1)).squeeze(dim: -1).to(.cpu).floats()
                for (k, r) in idx.enumerated() {
                    let st = starts[r], n = seqs[r].count
                    let row = (st - 1..<n - 1).map { Double(got[k * (s - 1) + $0]) }
                    results[r] = ScoredContinuation(sum: row.reduce(0, +), logprobs: row, tokens: Array(seqs[r][st...]))
                }
            }
        }
        return results.map { $0! }
    }
}
