// A shuffled buffer of activation pairs, refilled chunk by chunk from the sequence stream.
import Models
import Tensor

/// Mixes activation pairs across sequences: it harvests sequences (in the seeded sequence order) until
/// it holds at least `bufferTokens` tokens, permutes all of them with a permutation drawn from
/// (seed, chunk index), and serves consecutive slices of `batchTokens` rows as batches; a remainder
/// shorter than a batch is dropped. Then the next chunk is harvested from where this one ended.
///
/// Everything is a pure function of the seed, the chunk index and the sequence position the chunk
/// starts at, so a resumed run rebuilds the interrupted chunk exactly (no generator state and no
/// activations go into checkpoints).
final class ActivationBuffer {
    let harvester: ActivationHarvester
    let sequences: [[Int32]]
    let bufferTokens: Int
    let batchTokens: Int
    let forwardBatch: Int
    let seed: UInt64
    private var order: DataOrder

    /// The chunk in the buffer (-1 before the first).
    private(set) var chunk = -1
    /// The sequence position the chunk starts at.
    private(set) var chunkStart = 0
    /// The sequence position after the chunk (where the next one starts).
    private(set) var chunkEnd = 0
    /// Batches the chunk holds.
    private(set) var batches = 0
    /// Per layer, the chunk's inputs and targets `[n, d_model]`, permuted.
    private(set) var inputs: [Tensor] = []
    private(set) var targets: [Tensor] = []

    init(harvester: ActivationHarvester, sequences: [[Int32]], bufferTokens: Int, batchTokens: Int, forwardBatch: Int, seed: UInt64) {
        self.harvester = harvester
        self.sequences = sequences
        self.bufferTokens = bufferTokens
        self.batchTokens = batchTokens
        self.forwardBatch = forwardBatch
        self.seed = seed
        order = DataOrder(count: sequences.count, seed: seed, shuffle: true)
    }

    /// Harvests and shuffles chunk `index`, which starts at sequence position `start`.
    func load(chunk index: Int, start: Int) throws {
        inputs = []
        targets = []
        var parts: [(x: [Tensor], y: [Tensor])] = []
        var pos = start, n = 0
        while n < bufferTokens {
            let seqs = (0..<forwardBatch).map { sequences[order.example(at: pos + $0)] }
            pos += forwardBatch
            let h = try harvester.harvest(seqs)
            parts.append((h.inputs, h.targets))
            n += h.inputs[0].shape[0]
        }
        let perm = DataOrder.permutation(n, seed: seed ^ 0x5DEE_CE66_D1CE_4E5B, epoch: UInt64(index)).map(Int64.init)
        let index64 = try Tensor(perm, shape: [n]).to(harvester.model.device)
        for l in harvester.layers.indices {
            inputs.append(try Tensor.cat(parts.map { $0.x[l] }).indexSelect(dim: 0, index: index64))
            targets.append(try Tensor.cat(parts.map { $0.y[l] }).indexSelect(dim: 0, index: index64))
        }
        chunk = index
        chunkStart = start
        chunkEnd = pos
        batches = n / batchTokens
    }

    /// Batch `i` of the chunk: per layer, inputs and targets `[batchTokens, d_model]`.
    func batch(_ i: Int) throws -> (inputs: [Tensor], targets: [Tensor]) {
        precondition(i < batches, "batch \(i) of a chunk of \(batches)")
        return (try inputs.map { try $0.narrow(dim: 0, start: i * batchTokens, length: batchTokens) },
                try targets.map { try $0.narrow(dim: 0, start: i * batchTokens, length: batchTokens) })
    }
}
