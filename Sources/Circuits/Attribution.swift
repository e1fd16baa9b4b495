// Attribution graphs with circuit-tracer's semantics: logit targets chosen by cumulative
// probability, feature rows visited in influence order, edges from batched reverse sweeps of the
// frozen replacement model — plus causal-cone sweeps, sparse rows, explicit constant terms (the
// sum check) and dropped-feature mass.
import Foundation
import JSON
import Models
import Tensor

/// Options of `Attribution.attribute` (circuit-tracer's names and defaults).
public struct AttributionOptions: Sendable {
    /// At most this many logit targets.
    public var maxNLogits = 10
    /// Smallest set of top logits whose cumulative probability reaches this.
    public var desiredLogitProb = 0.95
    /// Targets per reverse sweep.
    public var batchSize = 256
    /// Visit at most this many features (nil: all active features).
    public var maxFeatureNodes: Int?
    /// With `maxFeatureNodes`, re-rank the unvisited features every this many batches.
    public var updateInterval = 4
    /// Explicit logit targets (vocabulary ids) instead of the salient ones.
    public var targetTokens: [Int]?
    /// Compute the constant terms with an extra frozen forward pass (the sum check).
    public var sumCheck = true
    /// Restrict each reverse sweep to the batch's causal cone (positions up to its last target,
    /// layers up to its top target). Off: every sweep covers the whole prompt and every layer, as
    /// circuit-tracer's backward passes do (same edges; for benchmarks).
    public var causalCone = true

    public init() {}
}

/// Progress of an attribution: the phase and rows done / total.
public struct AttributionProgress: Sendable {
    public let phase: String
    public let done: Int
    public let total: Int
}

/// Builds attribution graphs.
public enum Attribution {
    /// One computed row: its target (logit k as `-1 - k`, or active feature i) and its sparse entries
    /// over columns `[active features | errors (layer-major) | tokens]`.
    struct Row {
        let target: Int
        let cols: [Int32]
        let vals: [Float]
    }

    /// The attribution graph of `tokens` in `rm`.
    /// - Throws: `ModelError`/`TranscoderError` for bad inputs, `TorchError` from kernels, and
    ///   `CancellationError` when `shouldStop` returns true.
    public static func attribute(_ tokens: [Int], _ rm: ReplacementModel, options o: AttributionOptions = AttributionOptions(),
                                 prompt: String? = nil, progress: ((AttributionProgress) -> Void)? = nil,
                                 shouldStop: (() -> Bool)? = nil) throws -> AttributionGraph {
        guard o.batchSize > 0 else { throw ModelError("attribute: batch_size must be positive, got \(o.batchSize)") }
        guard o.maxNLogits > 0 else { throw ModelError("attribute: max_n_logits must be positive, got \(o.maxNLogits)") }
        guard o.desiredLogitProb > 0, o.desiredLogitProb <= 1 else {
            throw ModelError("attribute: desired_logit_prob must be in (0, 1], got \(o.desiredLogitProb)")
        }
        if let m = o.maxFeatureNodes, m < 0 { throw ModelError("attribute: max_feature_nodes must be ≥ 0, got \(m)") }
        guard o.updateInterval > 0 else { throw ModelError("attribute: update_interval must be positive") }
        return try Torch.noGrad { try Builder(tokens, rm, o, prompt: prompt, progress: progress, shouldStop: shouldStop).build() }
    }

    /// The attribution graph of `prompt` (BOS prepended when missing).
    public static func attribute(prompt: String, _ rm: ReplacementModel, options: AttributionOptions = AttributionOptions(),
                                 progress: ((AttributionProgress) -> Void)? = nil, shouldStop: (() -> Bool)? = nil) throws -> AttributionGraph {
        try attribute(try rm.tokens(for: prompt), rm, options: options, prompt: prompt, progress: progress, shouldStop: shouldStop)
    }

    /// Logit targets: the smallest prefix of the top `maxN` probabilities reaching `desired` (circuit-tracer's cutoff).
    static func salientLogits(_ probs: [Double], maxN: Int, desired: Double) -> [Int] {
        let order = probs.indices.sorted { probs[$0] != probs[$1] ? probs[$0] > probs[$1] : $0 < $1 }
        let top = Array(order.prefix(maxN))
        var cum = 0.0
        for (i, v) in top.enumerated() {
            cum += probs[v]
            if cum >= desired { return Array(top.prefix(i + 1)) }
        }
        return top
    }

    final class Builder {
        let tokens: [Int]
        let rm: ReplacementModel
        let o: AttributionOptions
        let prompt: String?
        let progress: ((AttributionProgress) -> Void)?
        let shouldStop: (() -> Bool)?
        let nLayers: Int
        let t: Int
        let device: Device
        var timings: [String: Double] = [:]

        init(_ tokens: [Int], _ rm: ReplacementModel, _ o: AttributionOptions, prompt: String?,
             progress: ((AttributionProgress) -> Void)?, shouldStop: (() -> Bool)?) {
            self.tokens = tokens
            self.rm = rm
            self.o = o
            self.prompt = prompt
            self.progress = progress
            self.shouldStop = shouldStop
            nLayers = rm.model.config.nLayers
            t = tokens.count
            device = rm.model.device
        }

        func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

        // Active features, ordered (layer, position, feature).
        var featLayer: [Int] = [], featPos: [Int] = [], featIndex: [Int] = [], featAct: [Float] = [], featPre: [Float] = []

        /// Per output layer: the columns, positions and activation-scaled decoder vectors written there.
        struct Writes {
            var cols: [Int32]
            var positions: [Int]
            /// Activation-scaled decoder vectors `[n, d]`, row k for `cols[k]` at `positions[k]`.
            var vectors: Tensor?
            /// The same vectors grouped by position for one batched matmul: `[T, d, slots]`, zero-padded;
            /// `slotCols[p]` lists the columns of position p's slots.
            var byPosition: Tensor?
            var slotCols: [[Int32]] = []
            var slots = 0
        }
        var writes: [Writes] = []

        func build() throws -> AttributionGraph {
            var t0 = clock()
            let run = try rm.run(tokens)
            try collectFeatures(run)
            timings["setup"] = clock() - t0
            t0 = clock()
            let sweep = try LinearizedSweep(rm, run: run)

            // Logit targets.
            let last = try run.logits.select(dim: 0, index: t - 1).to(.float64)
            let lastLogits = try last.doubles()
            let probs = try last.softmax(dim: 0).doubles()
            let logitIds: [Int]
            if let explicit = o.targetTokens {
                guard !explicit.isEmpty else { throw ModelError("attribute: target tokens must not be empty") }
                if let bad = explicit.first(where: { $0 < 0 || $0 >= lastLogits.count }) {
                    throw ModelError("attribute: target token \(bad) is outside the vocabulary [0, \(lastLogits.count))")
                }
                logitIds = explicit
            } else {
                logitIds = Attribution.salientLogits(probs, maxN: o.maxNLogits, desired: o.desiredLogitProb)
            }
            let wu = try rm.model.unembeddingMatrix().to(.float32)  // [d, V]
            let ids = try Tensor(logitIds.map(Int64.init), shape: [logitIds.count]).to(device)
            let logitVecs = try (wu.indexSelect(dim: 1, index: ids) - wu.mean(dims: [1], keepdim: true)).transpose(0, 1).contiguous()
            let meanLogit = lastLogits.reduce(0, +) / Double(lastLogits.count)
            let nLogits = logitIds.count

            // Target vectors: logits first, then every active feature's encoder row.
            let nActive = featLayer.count
            var encRows: [Tensor] = []
            for l in 0..<nLayers {
                let sel = (0..<nActive).filter { featLayer[$0] == l }
                guard !sel.isEmpty else { continue }
                let f = try Tensor(sel.map { Int64(featIndex[$0]) }, shape: [sel.count]).to(device)
                encRows.append(try rm.transcoders.encoderVectors(layer: l, f).to(.float32))
            }
            let vectors = try Tensor.cat([logitVecs] + encRows, dim: 0)

            // Source vectors at every location.
            let emb = try rm.model.tokenEmbeddingMatrix.to(.float32)
                .indexSelect(dim: 0, index: try Tensor(tokens.map(Int64.init), shape: [t]).to(device))
            timings["forward"] = clock() - t0

            let nCols = nActive + (nLayers + 1) * t
            var rows: [Row] = []
            rows.reserveCapacity(nLogits + (o.maxFeatureNodes.map { Swift.min($0, nActive) } ?? nActive))

            // Phase: logits.
            t0 = clock()
            let logitTargets = (0..<nLogits).map { SweepTarget(layer: nLayers, position: t - 1, vectorRow: $0) }
            for start in stride(from: 0, to: nLogits, by: o.batchSize) {
                let batch = Array(logitTargets[start..<Swift.min(nLogits, start + o.batchSize)])
                let computed = try computeRows(batch, sweep: sweep, vectors: vectors, emb: emb, run: run, nCols: nCols)
                for (i, r) in computed.enumerated() { rows.append(Row(target: -1 - (start + i), cols: r.0, vals: r.1)) }
            }
            timings["logit_rows"] = clock() - t0

            // Phase: features.
            t0 = clock()
            let budget = Swift.min(o.maxFeatureNodes ?? nActive, nActive)
            var visited = [Bool](repeating: false, count: nActive)
            var nVisited = 0
            func featureTarget(_ i: Int) -> SweepTarget { SweepTarget(layer: featLayer[i], position: featPos[i], vectorRow: nLogits + i) }
            func visit(_ batch: [Int]) throws {
                if shouldStop?() == true { throw CancellationError() }
                let computed = try computeRows(batch.map(featureTarget), sweep: sweep, vectors: vectors, emb: emb, run: run, nCols: nCols)
                for (j, r) in computed.enumerated() {
                    rows.append(Row(target: batch[j], cols: r.0, vals: r.1))
                    visited[batch[j]] = true
                }
                nVisited += batch.count
                progress?(AttributionProgress(phase: "features", done: nVisited, total: budget))
            }
            if budget == nActive {
                // Every row is computed, so order only affects cost: by position, then layer, keeps each sweep's cone narrow.
                let order = (0..<nActive).sorted { (featPos[$0], featLayer[$0], $0) < (featPos[$1], featLayer[$1], $1) }
                for start in stride(from: 0, to: order.count, by: o.batchSize) {
                    try visit(Array(order[start..<Swift.min(order.count, start + o.batchSize)]))
                }
            } else {
                while nVisited < budget {
                    let influence = partialInfluence(rows, nActive: nActive, nCols: nCols, logitProbs: logitIds.map { probs[$0] })
                    let rank = (0..<nActive).filter { !visited[$0] }
                        .sorted { influence[$0] != influence[$1] ? influence[$0] > influence[$1] : $0 < $1 }
                    let queue = Array(rank.prefix(Swift.min(o.updateInterval * o.batchSize, budget - nVisited)))
                    for start in stride(from: 0, to: queue.count, by: o.batchSize) {
                        try visit(Array(queue[start..<Swift.min(queue.count, start + o.batchSize)]))
                    }
                }
            }
            timings["feature_rows"] = clock() - t0

            // Constants (the sum check): the frozen model's targets with every source removed.
            t0 = clock()
            var featureConstant = [Float](repeating: .nan, count: nActive)
            var logitConstant = [Float](repeating: .nan, count: nLogits)
            if o.sumCheck {
                let zero = try constantTerms(run, emb: emb)
                let hidden = try zero.finalHidden.select(dim: 0, index: t - 1)
                logitConstant = try logitVecs.matmul(hidden.unsqueeze(1)).squeeze(dim: 1).floats()
                for l in 0..<nLayers {
                    let sel = (0..<nActive).filter { featLayer[$0] == l && visited[$0] }
                    guard !sel.isEmpty else { continue }
                    let pos = try Tensor(sel.map { Int64(featPos[$0]) }, shape: [sel.count]).to(device)
                    let f = try Tensor(sel.map { Int64(featIndex[$0]) }, shape: [sel.count]).to(device)
                    let pre = try rm.transcoders.preActivations(zero.inputs[l].indexSelect(dim: 0, index: pos), layer: l).to(.float32)
                    let v = try pre.gather(dim: 1, index: f.unsqueeze(1)).squeeze(dim: 1).floats()
                    for (j, i) in sel.enumerated() { featureConstant[i] = v[j] }
                }
            }
            timings["constants"] = clock() - t0

            return try assemble(rows: rows, visited: visited, logitIds: logitIds, probs: logitIds.map { Float(probs[$0]) },
                                logitValues: logitIds.map { Float(lastLogits[$0] - meanLogit) },
                                featureConstant: featureConstant, logitConstant: logitConstant)
        }

        /// Active features of the clean run and their decoder writes.
        func collectFeatures(_ run: ReplacementModel.CleanRun) throws {
            for l in 0..<nLayers {
                let a = run.activations[l]
                let d = a.shape[1]
                let values = try a.floats()
                let pre = try rm.transcoders.preActivations(run.inputs[l], layer: l).to(.float32).floats()
                for p in 0..<t {
                    for f in 0..<d where values[p * d + f] != 0 {
                        featLayer.append(l)
                        featPos.append(p)
                        featIndex.append(f)
                        featAct.append(values[p * d + f])
                        featPre.append(pre[p * d + f])
                    }
                }
            }
            writes = Array(repeating: Writes(cols: [], positions: [], vectors: nil), count: nLayers)
            for out in 0..<nLayers {
                var parts: [Tensor] = []
                for src in 0...out where rm.transcoders.outputLayers(of: src).contains(out) {
                    let sel = featLayer.indices.filter { featLayer[$0] == src }
                    guard !sel.isEmpty else { continue }
                    let f = try Tensor(sel.map { Int64(featIndex[$0]) }, shape: [sel.count]).to(device)
                    let acts = try Tensor(sel.map { featAct[$0] }, shape: [sel.count, 1]).to(device)
                    parts.append(try rm.transcoders.decoderVectors(sourceLayer: src, f, outputLayer: out).to(.float32) * acts)
                    writes[out].cols += sel.map { Int32($0) }
                    writes[out].positions += sel.map { featPos[$0] }
                }
                guard !parts.isEmpty else { continue }
                let vecs = try Tensor.cat(parts, dim: 0)
                writes[out].vectors = vecs
                // Group by position: slot j of position p holds the j-th write at p.
                var slotCols = [[Int32]](repeating: [], count: t)
                var row = [Int]()
                for (k, p) in writes[out].positions.enumerated() {
                    row.append(slotCols[p].count)
                    slotCols[p].append(writes[out].cols[k])
                }
                let slots = slotCols.map(\.count).max() ?? 0
                let d = vecs.shape[1]
                // Flat destination (p, slot) in a [T·slots, d] table, then reshaped to [T, slots, d] → [T, d, slots].
                let dest = zip(writes[out].positions, row).map { Int64($0 * slots + $1) }
                let table = try Tensor.zeros([t * slots, d], device: device)
                let scattered = try table.scatterAdd(dim: 0, index: try Tensor(dest, shape: [dest.count, 1]).to(device).expand([dest.count, d]),
                                                     src: vecs)
                writes[out].byPosition = try scattered.view([t, slots, d]).transpose(1, 2).contiguous()
                writes[out].slotCols = slotCols
                writes[out].slots = slots
            }
        }

        /// Rows (sparse, over all columns) of a batch of targets.
        func computeRows(_ batch: [SweepTarget], sweep: LinearizedSweep, vectors: Tensor, emb: Tensor,
                         run: ReplacementModel.CleanRun, nCols: Int) throws -> [([Int32], [Float])] {
            let b = batch.count
            let nActive = featLayer.count
            var dense = [Float](repeating: 0, count: b * nCols)
            let gEmbed = try sweep.sweep(batch, vectors: vectors, cone: o.causalCone) { l, g in
                let width = g.shape[1]
                let w = writes[l]
                if let byPos = w.byPosition {
                    // Features writing at layer l inside the cone: ⟨g[b, p], a·W_dec⟩ for every slot of every
                    // position p, as one batched matmul [T', B, d] × [T', d, slots].
                    let vals = try g.transpose(0, 1).contiguous().bmm(byPos.narrow(dim: 0, start: 0, length: width)).floats()
                    let slots = w.slots
                    for p in 0..<width {
                        let cols = w.slotCols[p]
                        guard !cols.isEmpty else { continue }
                        for r in 0..<b {
                            let src = (p * b + r) * slots, base = r * nCols
                            for (j, c) in cols.enumerated() { dense[base + Int(c)] += vals[src + j] }
                        }
                    }
                }
                let err = try (g * run.errors[l].narrow(dim: 0, start: 0, length: width).unsqueeze(0)).sum(dims: [2]).floats()
                for r in 0..<b {
                    let base = r * nCols + nActive + l * t
                    for p in 0..<width { dense[base + p] = err[r * width + p] }
                }
            }
            let width = gEmbed.shape[1]
            let tok = try (gEmbed * emb.narrow(dim: 0, start: 0, length: width).unsqueeze(0)).sum(dims: [2]).floats()
            for r in 0..<b {
                let base = r * nCols + nActive + nLayers * t
                for p in 0..<width { dense[base + p] = tok[r * width + p] }
            }
            return (0..<b).map { r in
                var cols: [Int32] = [], vals: [Float] = []
                let base = r * nCols
                for c in 0..<nCols where dense[base + c] != 0 {
                    cols.append(Int32(c))
                    vals.append(dense[base + c])
                }
                return (cols, vals)
            }
        }

        /// circuit-tracer's `compute_partial_influences` over the rows computed so far: row-normalised
        /// |A|, power iteration from the logit probabilities (≤ 128 steps). Returns influence per column.
        func partialInfluence(_ rows: [Row], nActive: Int, nCols: Int, logitProbs: [Double]) -> [Double] {
            let norms = rows.map { r in Swift.max(r.vals.reduce(0.0) { $0 + Double(Swift.abs($1)) }, 1e-8) }
            var influence = [Double](repeating: 0, count: nCols)
            // prod over nodes: logits are the rows with negative targets.
            var prodCol = [Double](repeating: 0, count: nCols)
            var prodLogit = logitProbs
            for _ in 0..<128 {
                var next = [Double](repeating: 0, count: nCols)
                var any = false
                for (ri, r) in rows.enumerated() {
                    let w = r.target < 0 ? prodLogit[-1 - r.target] : prodCol[r.target]
                    guard w != 0 else { continue }
                    let s = w / norms[ri]
                    for (c, v) in zip(r.cols, r.vals) { next[Int(c)] += s * Double(Swift.abs(v)) }
                    any = true
                }
                guard any, next.contains(where: { $0 != 0 }) else { break }
                for c in 0..<nCols { influence[c] += next[c] }
                prodCol = next
                prodLogit = Array(repeating: 0, count: prodLogit.count)
            }
            return influence
        }

        /// The frozen model with every node's contribution removed: token embeddings, features and errors.
        func constantTerms(_ run: ReplacementModel.CleanRun, emb: Tensor) throws -> ReplacementModel.FrozenOutputs {
            var deltas: [Int: Tensor] = [:]
            for l in 0..<nLayers {
                var explained = try run.mlpOutputs[l] - rm.transcoders.bDec(layer: l).to(.float32)
                if let w = try rm.transcoders.skipMatrix(layer: l) { explained = try explained - run.inputs[l].linear(w.to(.float32)) }
                deltas[l] = try rm.zeroed(explained).neg()
            }
            return try rm.frozenForward(run, embedDelta: try emb.neg(), outputDeltas: deltas)
        }

        /// Graph in node order: selected features, errors, tokens, logits.
        func assemble(rows: [Row], visited: [Bool], logitIds: [Int], probs: [Float], logitValues: [Float],
                      featureConstant: [Float], logitConstant: [Float]) throws -> AttributionGraph {
            let nActive = featLayer.count
            let selected = (0..<nActive).filter { visited[$0] }
            var nodeOfActive = [Int32](repeating: -1, count: nActive)
            for (k, i) in selected.enumerated() { nodeOfActive[i] = Int32(k) }
            let f = selected.count
            let errStart = f, tokStart = f + nLayers * t, logitStart = tokStart + t
            var nodes: [AttributionGraph.Node] = []
            nodes.reserveCapacity(logitStart + logitIds.count)
            for i in selected {
                nodes.append(.init(kind: .feature, layer: featLayer[i], position: featPos[i], index: featIndex[i], value: featAct[i]))
            }
            for l in 0..<nLayers { for p in 0..<t { nodes.append(.init(kind: .error, layer: l, position: p, index: -1, value: 0)) } }
            for p in 0..<t { nodes.append(.init(kind: .token, layer: -1, position: p, index: tokens[p], value: 0)) }
            for (k, v) in logitIds.enumerated() {
                nodes.append(.init(kind: .logit, layer: nLayers, position: t - 1, index: v, value: probs[k]))
            }
            var rowOf = [Int](repeating: -1, count: nodes.count)
            for (ri, r) in rows.enumerated() {
                let node = r.target < 0 ? logitStart + (-1 - r.target) : Int(nodeOfActive[r.target])
                rowOf[node] = ri
            }
            let noCheck = AttributionGraph.TargetCheck(value: .nan, constant: .nan, dropped: 0, droppedAbs: 0)
            var rowStart = [0], sources: [Int32] = [], weights: [Float] = [], checks: [AttributionGraph.TargetCheck] = []
            for node in nodes.indices {
                guard rowOf[node] >= 0 else {
                    rowStart.append(sources.count)
                    checks.append(noCheck)
                    continue
                }
                let r = rows[rowOf[node]]
                var dropped: Float = 0, droppedAbs: Float = 0
                for (c, v) in zip(r.cols, r.vals) {
                    let c = Int(c)
                    if c < nActive {
                        let n = nodeOfActive[c]
                        if n < 0 {
                            dropped += v
                            droppedAbs += Swift.abs(v)
                            continue
                        }
                        sources.append(n)
                    } else {
                        sources.append(Int32(errStart + (c - nActive)))  // errors then tokens, both contiguous
                    }
                    weights.append(v)
                }
                rowStart.append(sources.count)
                if r.target < 0 {
                    let k = -1 - r.target
                    checks.append(.init(value: logitValues[k], constant: logitConstant[k], dropped: dropped, droppedAbs: droppedAbs))
                } else {
                    checks.append(.init(value: featPre[r.target], constant: featureConstant[r.target], dropped: dropped, droppedAbs: droppedAbs))
                }
            }
            let strings = try tokens.map { rm.model.tokenizer == nil ? "#\($0)" : try rm.model.decode([$0]) }
            var meta: [String: String] = [
                "active_features": String(nActive), "selected_features": String(f),
                "max_n_logits": String(o.maxNLogits), "desired_logit_prob": String(o.desiredLogitProb),
                "batch_size": String(o.batchSize), "zero_positions": String(rm.zeroPositions),
                "transcoders": rm.transcoders.description, "model": rm.model.summary,
            ]
            if let m = o.maxFeatureNodes { meta["max_feature_nodes"] = String(m) }
            var names = JSONObject()
            for v in logitIds { names[String(v)] = .string(rm.model.tokenizer == nil ? "#\(v)" : try rm.model.decode([v])) }
            meta["logit_tokens"] = String(decoding: JSONValue.object(names).rendered, as: UTF8.self)
            for (k, v) in timings { meta["time_" + k] = String(format: "%.4f", v) }
            let text = try prompt ?? (rm.model.tokenizer == nil ? strings.joined() : rm.model.decode(tokens))
            return AttributionGraph(prompt: text, tokens: tokens, tokenStrings: strings,
                                    nLayers: nLayers, vocabSize: rm.model.config.dVocab, nodes: nodes, rowStart: rowStart,
                                    sources: sources, weights: weights, checks: checks, metadata: meta)
        }
    }
}
