import Foundation
import Models
import Store

/// How completions are drawn. Two samplings with equal settings and seeds give equal completions.
public struct SamplingSettings: Sendable, Equatable {
    /// Completions per prompt.
    public var n = 1
    /// Tokens generated per completion at most.
    public var maxNewTokens = 64
    /// Softmax temperature (0: greedy).
    public var temperature = 1.0
    /// Nucleus sampling mass (nil: off).
    public var topP: Double?
    /// Top-k filter (nil: off).
    public var topK: Int?
    /// Strings that end a completion (the text stops before them).
    public var stop: [String] = []
    /// Stop at the model's EOS tokens.
    public var stopAtEOS = true
    /// Base seed of every completion's random stream.
    public var seed: UInt64 = 0
    /// Rows per forward pass.
    public var batchSize = 32
    /// Prompts generated (and written to the store) per chunk: the most a kill can lose.
    public var chunkPrompts = 64

    /// Default settings.
    public init() {}

    /// What identifies a completion's distribution besides the model, prompt, seed and index (the
    /// batch and chunk sizes do not change completions, so they are not part of it).
    var identity: CanonicalValue {
        .object([
            "max_new_tokens": .int(Int64(maxNewTokens)), "temperature": .double(temperature),
            "top_p": topP.map { .double($0) } ?? .null, "top_k": topK.map { .int(Int64($0)) } ?? .null,
            "stop": .array(stop.map { .string($0) }), "stop_at_eos": .bool(stopAtEOS),
        ])
    }
}

/// One completion of one prompt.
public struct Completion: Sendable, Equatable, Codable {
    /// Index of its prompt in the request (0-based).
    public var promptIndex: Int
    /// Index among the prompt's n completions (0-based).
    public var sampleIndex: Int
    /// The generated text (before a stop string, without a final EOS).
    public var text: String
    /// Prompt tokens (as encoded for generation).
    public var promptTokens: Int
    /// Generated tokens (a final EOS included).
    public var generatedTokens: Int
    /// "eos", "stop" or "length".
    public var stopReason: String
    /// Whether it came from the store rather than the model.
    public var cached: Bool
    /// The store key it is cached under (nil without a store).
    public var key: String?
}

/// Sampling stopped between chunks (Ctrl-C or a progress callback); what was made is cached.
public struct SamplingInterrupted: Error, Sendable {
    /// Completions available (cached or made) when it stopped, and the total asked for.
    public let done: Int, total: Int
}

/// Generates completions at scale with a per-completion cache in the store and a ledger.
///
/// Every completion is cached under SHA-256 of (model fingerprint, prompt, sampling settings, seed,
/// the prompt's occurrence among equal prompts, sample index), written chunk by chunk in one
/// transaction each, so a killed run loses at most one chunk and a rerun regenerates nothing it
/// already has. Completions equal `Transformer.generate`'s for the same prompts and settings.
public final class Sampler {
    /// The cache (nil: no caching).
    public let store: Store?
    /// Where the counts go.
    public let ledger: Ledger

    /// A sampler over a store and a ledger.
    public init(store: Store?, ledger: Ledger) {
        self.store = store
        self.ledger = ledger
    }

    private struct Cached: Codable {
        var text: String
        var promptTokens: Int
        var generatedTokens: Int
        var stopReason: String
    }

    /// Samples `settings.n` completions of every prompt.
    /// - Parameters:
    ///   - model: a causal model with a tokenizer.
    ///   - fingerprint: the model's content fingerprint (computed once by the caller).
    ///   - prompts: the model inputs, at least one, none empty.
    ///   - step: the ledger step the counts go to.
    ///   - progress: called with (completions done, total).
    ///   - shouldStop: polled between chunks (Ctrl-C); when true the sampler stops and throws `interrupted`.
    /// - Returns: completions ordered by prompt, then sample index.
    /// - Throws: `BudgetExceeded` when the ledger's budget is reached before a chunk, cached or not (completions
    ///   made so far stay cached); `BehaviorError` for bad input; model and store errors as they come.
    public func sample(model: Transformer, fingerprint: String, prompts: [String], settings: SamplingSettings,
                       step: String, progress: ((Int, Int) -> Void)? = nil,
                       shouldStop: () -> Bool = { false }) throws -> [Completion] {
        guard !prompts.isEmpty else { throw BehaviorError("sample: no prompts (the prompt source gave an empty list)") }
        guard settings.n >= 1 else { throw BehaviorError("sample: n must be ≥ 1, got \(settings.n)") }
        guard settings.chunkPrompts >= 1 else { throw BehaviorError("sample: chunk size must be ≥ 1") }
        for (i, p) in prompts.enumerated() where p.isEmpty {
            throw BehaviorError("sample: prompt \(i + 1) is empty")
        }
        let started = Date()
        let identity = settings.identity
        // Keys and occurrences.
        var seen: [String: Int] = [:]
        var occurrence = [Int](repeating: 0, count: prompts.count)
        for (i, p) in prompts.enumerated() {
            occurrence[i] = seen[p, default: 0]
            seen[p] = occurrence[i] + 1
        }
        func key(_ i: Int, _ j: Int) throws -> String {
            try Store.key(for: .object([
                "what": .string("completion"), "model": .string(fingerprint), "prompt": .string(prompts[i]),
                "settings": identity, "seed": .int(Int64(bitPattern: settings.seed)),
                "occurrence": .int(Int64(occurrence[i])), "index": .int(Int64(j)),
            ]))
        }
        var out = [Completion?](repeating: nil, count: prompts.count * settings.n)
        // Cache lookups, in one read.
        var keys: [[String]] = []
        if let store {
            keys = try prompts.indices.map { i in try (0..<settings.n).map { try key(i, $0) } }
            let found = try store.entries(keys.flatMap { $0 })
            for i in prompts.indices {
                for j in 0..<settings.n {
                    if let e = found[keys[i][j]], let c = try? JSONDecoder().decode(Cached.self, from: Data(e.bytes)) {
                        out[i * settings.n + j] = Completion(promptIndex: i, sampleIndex: j, text: c.text, promptTokens: c.promptTokens,
                                                             generatedTokens: c.generatedTokens, stopReason: c.stopReason, cached: true,
                                                             key: keys[i][j])
                    }
                }
            }
        }
        var lookup = LedgerCounts()
        lookup.seconds = Date().timeIntervalSince(started)
        ledger.add(step, lookup)
        var opts = GenerationOptions()
        opts.maxNewTokens = settings.maxNewTokens
        opts.temperature = settings.temperature
        opts.topP = settings.topP
        opts.topK = settings.topK
        opts.stop = settings.stop
        opts.seed = settings.seed
        opts.stopAtEOS = settings.stopAtEOS
        opts.n = settings.n
        opts.batchSize = settings.batchSize
        // Chunks over every prompt, cached or not, so the budget stops a run at the same place whatever the
        // cache holds: a resumed run uses exactly the completions the uninterrupted run would have.
        var done = 0
        progress?(0, out.count)
        var cursor = 0
        while cursor < prompts.count {
            if shouldStop() { throw SamplingInterrupted(done: done, total: out.count) }
            try ledger.check(step: step)
            let all = Array(cursor..<min(cursor + settings.chunkPrompts, prompts.count))
            cursor += all.count
            let t0 = Date()
            var counts = LedgerCounts()
            let chunk = all.filter { i in (0..<settings.n).contains { out[i * settings.n + $0] == nil } }
            for i in all where !chunk.contains(i) {
                counts.prompts += 1
                for j in 0..<settings.n {
                    let c = out[i * settings.n + j]!
                    counts.samples += 1
                    counts.cachedSamples += 1
                    counts.prefillTokens += c.promptTokens
                    counts.generatedTokens += c.generatedTokens
                }
            }
            if !chunk.isEmpty {
                let ids = try chunk.map { try model.encode(prompts[$0]) }
                for (c, i) in chunk.enumerated() where ids[c].isEmpty {
                    throw BehaviorError("sample: prompt \(i + 1) encodes to no tokens")
                }
                // Occurrences are passed explicitly so a repeated prompt's streams do not depend on chunking.
                var passes = 0
                opts.onForward = { _, _ in passes += 1 }
                let base = done + (all.count - chunk.count) * settings.n
                opts.progress = { d, _ in progress?(base + d, out.count) }
                let gen = try model.generate(tokenPrompts: ids, keys: chunk.map { prompts[$0] },
                                             occurrences: chunk.map { occurrence[$0] }, opts)
                counts.prompts += chunk.count
                var writes: [(String, [UInt8])] = []
                for g in gen {
                    let i = chunk[g.promptIndex]
                    let k = store == nil ? nil : keys[i][g.sampleIndex]
                    let c = Completion(promptIndex: i, sampleIndex: g.sampleIndex, text: g.text, promptTokens: ids[g.promptIndex].count,
                                       generatedTokens: g.tokens.count, stopReason: g.stopReason, cached: false, key: k)
                    out[i * settings.n + g.sampleIndex] = c
                    counts.samples += 1
                    counts.prefillTokens += c.promptTokens
                    counts.generatedTokens += c.generatedTokens
                    if let k {
                        let bytes = try JSONEncoder().encode(Cached(text: c.text, promptTokens: c.promptTokens,
                                                                    generatedTokens: c.generatedTokens, stopReason: c.stopReason))
                        writes.append((k, [UInt8](bytes)))
                    }
                }
                if let store, !writes.isEmpty {
                    try store.put(writes.map { (key: $0.0, kind: "completion", bytes: $0.1, meta: nil as String?) })
                }
                counts.forwardPasses = passes
            }
            counts.seconds = Date().timeIntervalSince(t0)
            ledger.add(step, counts)
            done += all.count * settings.n
            progress?(done, out.count)
        }
        return out.map { $0! }
    }
}
