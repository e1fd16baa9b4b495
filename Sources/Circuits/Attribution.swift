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
    /// Column block (positions) of the attention transpose in cones longer than twice it, which skips
    /// the zero triangle of the causal pattern (measured at 1,024 tokens: the no-cone sweep 76 s
    /// unblocked, 58 s at 128, 60 s at 256). Tests shrink it to exercise the blocked path.
    package var attentionBlock = 128

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
        // Every reverse sweep allocates and frees MiB-sized gradients; keep their pages (a third of the time otherwise).
        Torch.keepTensorMemoryInHeap()
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
        /// Bytes of row values held before assembly (graph metadata `row_bytes`).
        var rowBytes = 0

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

        /// Per output layer: every source read by a gradient at that layer's MLP output — the active
        /// features writing there (activation-scaled decoder vectors) and the error node — grouped by
        /// position for one batched matmul.
        struct Readers {
            /// `[T, d, slots]`, zero-padded: slot j of position p is the vector of the source at
            /// `slotSegment[p][j]`, `slotLocal[p][j]` of `ColumnLayout`.
            var byPosition: Tensor
            var slotSegment: [[Int]]
            var slotLocal: [[Int]]
        }
        /// Set by `collectFeatures`.
        var layout = ColumnLayout(nLayers: 0, t: 0, layers: [], positions: [])
        var readers: [Readers] = []

        func build() throws -> AttributionGraph {
            var t0 = clock()
            let run = try rm.run(tokens)
            try collectFeatures(run)
            timings["setup"] = clock() - t0
            t0 = clock()
            let sweep = try LinearizedSweep(rm, run: run, attentionBlock: o.attentionBlock)

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

            let nCols = layout.columns
            var rows: [Row] = []
            rows.reserveCapacity(nLogits + (o.maxFeatureNodes.map { Swift.min($0, nActive) } ?? nActive))

            // Phase: logits.
            t0 = clock()
            let logitTargets = (0..<nLogits).map { SweepTarget(layer: nLayers, position: t - 1, vectorRow: $0) }
            for start in stride(from: 0, to: nLogits, by: o.batchSize) {
                let batch = Array(logitTargets[start..<Swift.min(nLogits, start + o.batchSize)])
                let computed = try computeRows(batch, sweep: sweep, vectors: vectors, emb: emb)
                for (i, r) in computed.enumerated() { rows.append(Row(target: -1 - (start + i), layers: nLayers, position: t - 1, vals: r)) }
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
                let computed = try computeRows(batch.map(featureTarget), sweep: sweep, vectors: vectors, emb: emb)
                for (j, r) in computed.enumerated() {
                    rows.append(Row(target: batch[j], layers: featLayer[batch[j]], position: featPos[batch[j]], vals: r))
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
                    // The queue is fixed before it is visited, so its batches may be regrouped: by position
                    // then layer keeps each sweep's cone narrow (rows do not depend on their batch).
                    let queue = rank.prefix(Swift.min(o.updateInterval * o.batchSize, budget - nVisited))
                        .sorted { (featPos[$0], featLayer[$0], $0) < (featPos[$1], featLayer[$1], $1) }
                    for start in stride(from: 0, to: queue.count, by: o.batchSize) {
                        try visit(Array(queue[start..<Swift.min(queue.count, start + o.batchSize)]))
                    }
                }
            }
            timings["feature_rows"] = clock() - t0
            rowBytes = rows.reduce(0) { $0 + $1.vals.count * MemoryLayout<Float>.stride }

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
                    let pre = try rm.transcoders.preActivationsFloat32(zero.inputs[l].indexSelect(dim: 0, index: pos), layer: l)
                    let v = try pre.gather(dim: 1, index: f.unsqueeze(1)).squeeze(dim: 1).floats()
                    for (j, i) in sel.enumerated() { featureConstant[i] = v[j] }
                }
            }
            timings["constants"] = clock() - t0

            return try assemble(rows: rows, visited: visited, logitIds: logitIds, probs: logitIds.map { Float(probs[$0]) },
                                logitValues: logitIds.map { Float(lastLogits[$0] - meanLogit) },
                                featureConstant: featureConstant, logitConstant: logitConstant)
        }

        /// Active features of the clean run, and per layer the sources its MLP-output gradient reads.
        func collectFeatures(_ run: ReplacementModel.CleanRun) throws {
            for l in 0..<nLayers {
                let a = run.activations[l]
                let d = a.shape[1]
                let values = try a.floats()
                let pre = try run.preActivations[l].floats()
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
            let nActive = featLayer.count
            layout = ColumnLayout(nLayers: nLayers, t: t, layers: featLayer, positions: featPos)
            for out in 0..<nLayers {
                var parts: [Tensor] = []
                var cols: [Int32] = [], positions: [Int] = []
                for src in 0...out where rm.transcoders.outputLayers(of: src).contains(out) {
                    let sel = featLayer.indices.filter { featLayer[$0] == src }
                    guard !sel.isEmpty else { continue }
                    let f = try Tensor(sel.map { Int64(featIndex[$0]) }, shape: [sel.count]).to(device)
                    let acts = try Tensor(sel.map { featAct[$0] }, shape: [sel.count, 1]).to(device)
                    parts.append(try rm.transcoders.decoderVectors(sourceLayer: src, f, outputLayer: out).to(.float32) * acts)
                    cols += sel.map { Int32($0) }
                    positions += sel.map { featPos[$0] }
                }
                // The error node of every position reads the same gradient.
                parts.append(run.errors[out])
                cols += (0..<t).map { Int32(nActive + out * t + $0) }
                positions += Array(0..<t)
                let vecs = try Tensor.cat(parts, dim: 0)
                // Slot j of position p holds the j-th source at p.
                var slotSegment = [[Int]](repeating: [], count: t), slotLocal = [[Int]](repeating: [], count: t)
                var slotOf = [Int]()
                for (k, p) in positions.enumerated() {
                    let (segment, local) = layout.locate(column: Int(cols[k]))
                    slotOf.append(slotSegment[p].count)
                    slotSegment[p].append(segment)
                    slotLocal[p].append(local)
                }
                let slots = slotSegment.map(\.count).max() ?? 0
                let d = vecs.shape[1]
                // Flat destination (p, slot) in a [T·slots, d] table, reshaped to [T, slots, d] → [T, d, slots].
                let dest = zip(positions, slotOf).map { Int64($0 * slots + $1) }
                let table = try Tensor.zeros([t * slots, d], device: device)
                    .scatterAdd(dim: 0, index: try Tensor(dest, shape: [dest.count, 1]).to(device).expand([dest.count, d]), src: vecs)
                readers.append(Readers(byPosition: try table.view([t, slots, d]).transpose(1, 2).contiguous(), slotSegment: slotSegment, slotLocal: slotLocal))
            }
        }

        /// The rows of a batch of targets, each over its cone's segments (see `ColumnLayout`).
        func computeRows(_ batch: [SweepTarget], sweep: LinearizedSweep, vectors: Tensor, emb: Tensor) throws -> [[Float]] {
            let b = batch.count
            let cones = batch.map { layout.segments(layers: Swift.min($0.layer, nLayers), position: $0.position) }
            var rows = cones.map { [Float](repeating: 0, count: $0.count) }
            // Gradients are position-major [T', B, d]: entry (p, r) of a product is row r at position p.
            let gEmbed = try sweep.sweep(batch, vectors: vectors, cone: o.causalCone) { l, g in
                let width = g.shape[0]
                let r = readers[l]
                // ⟨g[p, b], v⟩ for every source v at every position p inside the cone: [T', B, d] × [T', d, slots].
                let vals = try g.bmm(r.byPosition.narrow(dim: 0, start: 0, length: width)).floats()
                let slots = r.byPosition.shape[2]
                // Row `row` reads sources below its layer at positions up to its own; the rest is exactly zero.
                for row in 0..<b where batch[row].layer > l {
                    let offsets = cones[row].offsets
                    rows[row].withUnsafeMutableBufferPointer { out in
                        for p in 0..<Swift.min(width, batch[row].position + 1) {
                            let src = (p * b + row) * slots
                            let segment = r.slotSegment[p], local = r.slotLocal[p]
                            for j in segment.indices { out[offsets[segment[j]] + local[j]] += vals[src + j] }
                        }
                    }
                }
            }
            let width = gEmbed.shape[0]
            let tok = try (gEmbed * emb.narrow(dim: 0, start: 0, length: width).unsqueeze(1)).sum(dims: [2]).floats()
            for row in 0..<b {
                let base = cones[row].offsets[layout.tokenSegment]
                for p in 0...batch[row].position { rows[row][base + p] = tok[p * b + row] }
            }
            return rows
        }

        /// circuit-tracer's `compute_partial_influences` over the rows computed so far: row-normalised
        /// |A|, power iteration from the logit probabilities (≤ 128 steps). Returns influence per column.
        func partialInfluence(_ rows: [Row], nActive: Int, nCols: Int, logitProbs: [Double]) -> [Double] {
            let norms = rows.map { r in Swift.max(r.vals.reduce(0.0) { $0 + Double(Swift.abs($1)) }, 1e-8) }
            let cones = rows.map { layout.segments(layers: $0.layers, position: $0.position).segments }
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
                    next.withUnsafeMutableBufferPointer { out in
                        r.vals.withUnsafeBufferPointer { v in
                            for seg in cones[ri] {
                                for k in 0..<seg.count { out[seg.column + k] += s * Double(Swift.abs(v[seg.offset + k])) }
                            }
                        }
                    }
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
                r.forEach(layout) { c, v in
                    guard v != 0 else { return }
                    if c < nActive {
                        let n = nodeOfActive[c]
                        if n < 0 {
                            dropped += v
                            droppedAbs += Swift.abs(v)
                            return
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
            meta["row_bytes"] = String(rowBytes)
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
