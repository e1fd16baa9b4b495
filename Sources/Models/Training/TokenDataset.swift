// Training examples: packed token blocks or individual (padded) sequences.
import Foundation
import Tensor

/// A set of training examples, each a run of at most `blockSize` token ids with the targets it scores.
///
/// Example i predicts each of its tokens 1…n−1 from the tokens before it (HF's causal-LM
/// convention: the labels are the inputs, shifted inside the loss). Two layouts:
/// - **packed** (`packed(_:blockSize:)`, `packed(documents:separator:blockSize:)`): the stream is cut
///   into consecutive blocks of exactly `blockSize` tokens (HF's `group_texts`; a remainder shorter
///   than a block is dropped). Every example has the same length; every target is scored.
/// - **sequences** (`sequences(_:scored:blockSize:)`): one example per sequence (truncated to
///   `blockSize`); a batch is right-padded to its longest member and padded positions score
///   nothing (PyTorch's `ignore_index`). With right padding and causal attention, real tokens
///   never see padding, so no attention mask is needed. An optional per-token mask selects which
///   targets are scored (e.g. only the completion after a prompt).
public struct TokenDataset: Sendable {
    /// Every example's tokens, concatenated.
    var tokens: [Int32]
    /// Start of example i is `offsets[i]`, its end `offsets[i + 1]`.
    var offsets: [Int]
    /// Per token: whether it is a scored target (nil: every token after an example's first).
    var scored: [Bool]?
    /// The longest example.
    public let blockSize: Int
    /// Whether the examples are equal-length blocks cut from a stream.
    public let isPacked: Bool

    /// The number of examples.
    public var count: Int { offsets.count - 1 }

    /// The total number of tokens over all examples.
    public var tokenCount: Int { tokens.count }

    /// The number of scored targets over all examples.
    public var targetCount: Int { (0..<count).reduce(0) { $0 + targets(in: $1) } }

    /// The tokens of example `i`.
    public func example(_ i: Int) -> [Int] { tokens[offsets[i]..<offsets[i + 1]].map(Int.init) }

    /// Cuts a token stream into consecutive blocks of `blockSize` tokens (a shorter remainder is dropped).
    /// - Throws: `TrainingError` of kind `option` for `blockSize` < 2, of kind `data` when the stream
    ///   holds less than one block or a negative id.
    public static func packed(_ stream: [Int], blockSize: Int) throws -> TokenDataset {
        guard blockSize >= 2 else { throw TrainingError(.option, "block_size must be at least 2, got \(blockSize)") }
        let n = stream.count / blockSize
        guard n > 0 else {
            throw TrainingError(.data, "the token stream has \(stream.count) tokens, less than one block of \(blockSize)")
        }
        let kept = stream.prefix(n * blockSize)
        if let bad = kept.first(where: { $0 < 0 || $0 > Int(Int32.max) }) { throw TrainingError(.data, "token id \(bad) is invalid") }
        return TokenDataset(tokens: kept.map { Int32($0) }, offsets: (0...n).map { $0 * blockSize }, scored: nil,
                            blockSize: blockSize, isPacked: true)
    }

    /// Joins documents into one stream, with `separator` (typically the EOS id) after each, and
    /// cuts it into blocks of `blockSize` tokens.
    /// - Throws: as `packed(_:blockSize:)`.
    public static func packed(documents: [[Int]], separator: Int?, blockSize: Int) throws -> TokenDataset {
        var stream: [Int] = []
        stream.reserveCapacity(documents.reduce(0) { $0 + $1.count + 1 })
        for d in documents {
            stream += d
            if let separator { stream.append(separator) }
        }
        return try packed(stream, blockSize: blockSize)
    }

    /// One example per sequence, truncated to `blockSize` tokens.
    /// - Parameters:
    ///   - sequences: token ids; each needs at least 2 tokens.
    ///   - scored: per sequence and token, whether that token is a scored target (the first token
    ///     never is); nil scores every target. Same lengths as `sequences`.
    ///   - blockSize: the longest example kept (longer sequences lose their tail).
    /// - Throws: `TrainingError` of kind `option` for `blockSize` < 2, of kind `data` for an empty
    ///   list, a sequence shorter than 2, a negative id, a mask of the wrong length, or a sequence
    ///   that scores no target.
    public static func sequences(_ sequences: [[Int]], scored: [[Bool]]? = nil, blockSize: Int) throws -> TokenDataset {
        guard blockSize >= 2 else { throw TrainingError(.option, "block_size must be at least 2, got \(blockSize)") }
        guard !sequences.isEmpty else { throw TrainingError(.data, "no sequences given") }
        if let scored, scored.count != sequences.count {
            throw TrainingError(.data, "\(scored.count) loss masks for \(sequences.count) sequences")
        }
        var tokens: [Int32] = []
        var offsets = [0]
        var mask: [Bool]? = scored == nil ? nil : []
        var longest = 0
        for (i, s) in sequences.enumerated() {
            guard s.count >= 2 else { throw TrainingError(.data, "sequence \(i) has \(s.count) token(s); at least 2 are needed") }
            if let bad = s.first(where: { $0 < 0 || $0 > Int(Int32.max) }) {
                throw TrainingError(.data, "sequence \(i): token id \(bad) is invalid")
            }
            let n = Swift.min(s.count, blockSize)
            tokens += s.prefix(n).map { Int32($0) }
            offsets.append(tokens.count)
            longest = Swift.max(longest, n)
            if let scored {
                guard scored[i].count == s.count else {
                    throw TrainingError(.data, "loss mask \(i) has \(scored[i].count) entries for a sequence of \(s.count) tokens")
                }
                var m = Array(scored[i].prefix(n))
                m[0] = false
                guard m.contains(true) else { throw TrainingError(.data, "sequence \(i) scores no target token (within block_size \(blockSize))") }
                mask! += m
            }
        }
        return TokenDataset(tokens: tokens, offsets: offsets, scored: mask, blockSize: longest, isPacked: false)
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> TokenDataset {
        var t: [Int32] = []
        var o = [0]
        var m: [Bool]? = scored == nil ? nil : []
        for i in indices {
            t += tokens[offsets[i]..<offsets[i + 1]]
            m? += scored![offsets[i]..<offsets[i + 1]]
            o.append(t.count)
        }
        let longest = (0..<indices.count).map { o[$0 + 1] - o[$0] }.max() ?? 0
        return TokenDataset(tokens: t, offsets: o, scored: m, blockSize: isPacked ? blockSize : longest, isPacked: isPacked)
    }

    /// Splits off `heldOut` examples, chosen by a seeded shuffle, for evaluation.
    /// - Returns: (training examples, held-out examples), each in original order.
    /// - Throws: `TrainingError` of kind `data` unless 0 < heldOut < count.
    public func split(heldOut: Int, seed: UInt64) throws -> (train: TokenDataset, heldOut: TokenDataset) {
        guard heldOut > 0, heldOut < count else {
            throw TrainingError(.data, "held-out count must be in [1, \(count - 1)], got \(heldOut)")
        }
        let perm = DataOrder.permutation(count, seed: seed, epoch: UInt64.max)
        let held = perm.prefix(heldOut).sorted()
        let train = perm.dropFirst(heldOut).sorted()
        return (subset(train), subset(held))
    }

    /// The number of scored targets of example `i`.
    func targets(in i: Int) -> Int {
        guard let scored else { return offsets[i + 1] - offsets[i] - 1 }
        return scored[offsets[i]..<offsets[i + 1]].reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    /// The largest token id, or -1 when empty.
    var maxToken: Int { Int(tokens.max() ?? -1) }

    /// A fingerprint of the examples (tokens, boundaries, masks).
    func fingerprint(into f: inout Fingerprint) {
        f.add(count)
        f.add(blockSize)
        f.add(ints: offsets)
        f.add(ints: tokens)
        if let scored { f.add(ints: scored.map { $0 ? 1 : 0 }) }
    }

    /// A batch of examples as tensors: inputs [b, s] (right-padded with id 0), targets [b, s − 1]
    /// (0 where nothing is scored), per-target weights [b, s − 1] (nil when every target is
    /// scored), and the number of scored targets.
    package func batch(_ indices: [Int], dtype: DType, device: Device) throws -> Batch {
        let s = indices.map { offsets[$0 + 1] - offsets[$0] }.max() ?? 0
        let b = indices.count
        var inputs = [Int64](repeating: 0, count: b * s)
        var targets = [Int64](repeating: 0, count: b * (s - 1))
        var weights = [Double](repeating: 0, count: b * (s - 1))
        var count = 0
        var full = true
        for (r, i) in indices.enumerated() {
            let start = offsets[i], n = offsets[i + 1] - start
            for t in 0..<n { inputs[r * s + t] = Int64(tokens[start + t]) }
            for t in 1..<n {
                targets[r * (s - 1) + t - 1] = Int64(tokens[start + t])
                let on = scored?[start + t] ?? true
                if on {
                    weights[r * (s - 1) + t - 1] = 1
                    count += 1
                } else {
                    full = false
                }
            }
            if n < s { full = false }
        }
        let w: Tensor? = full ? nil : try Tensor(weights, shape: [b, s - 1]).to(dtype: dtype, device: device)
        return Batch(inputs: try Tensor(inputs, shape: [b, s]).to(device),
                     targets: try Tensor(targets, shape: [b, s - 1]).to(device),
                     weights: w, targetCount: count, tokenCount: indices.reduce(0) { $0 + offsets[$1 + 1] - offsets[$1] })
    }

    /// One batch of examples, ready for the loss.
    package struct Batch {
        /// Input ids [b, s] (int64, right-padded with 0).
        package let inputs: Tensor
        /// Next-token ids [b, s − 1] (0 where nothing is scored).
        package let targets: Tensor
        /// Per-target weights [b, s − 1] (1 scored, 0 not), nil when every target is scored.
        package let weights: Tensor?
        /// Scored targets in the batch.
        package let targetCount: Int
        /// Real (unpadded) tokens in the batch.
        package let tokenCount: Int
    }
}

/// The order in which training visits examples: epoch after epoch, each a permutation drawn from
/// (seed, epoch) alone (SplitMix64 + Fisher–Yates), so position k of the stream is a pure function
/// of the seed and k — resuming needs no generator state, only the position.
package struct DataOrder {
    let count: Int
    let seed: UInt64
    let shuffle: Bool
    private var cachedEpoch = -1
    private var cached: [Int] = []

    package init(count: Int, seed: UInt64, shuffle: Bool) {
        self.count = count
        self.seed = seed
        self.shuffle = shuffle
    }

    /// The example at global position `k` (epoch k / count, slot k % count).
    package mutating func example(at k: Int) -> Int {
        let epoch = k / count, slot = k % count
        guard shuffle else { return slot }
        if epoch != cachedEpoch {
            cached = DataOrder.permutation(count, seed: seed, epoch: UInt64(epoch))
            cachedEpoch = epoch
        }
        return cached[slot]
    }

    /// A uniformly random permutation of 0..<n determined by (seed, epoch).
    package static func permutation(_ n: Int, seed: UInt64, epoch: UInt64) -> [Int] {
        var rng = SplitMix64(state: seed ^ (epoch &* 0xD1B5_4A32_D192_ED03))
        _ = rng.next()
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(rng.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            p.swapAt(i, j)
        }
        return p
    }
}
