// BPE training that reproduces Hugging Face `tokenizers`' BpeTrainer merge for merge.

import JSON
import Foundation

/// Trains a byte-level BPE tokenizer, producing the same vocabulary and merges (in the same order)
/// as HF `tokenizers`' `BpeTrainer` with the byte-level alphabet as `initial_alphabet`.
///
/// The algorithm follows HF exactly: special tokens get the first ids, then the 256 byte-level
/// characters in code point order; each step merges the most frequent pair, ties going to the
/// smallest pair of ids; training stops at `vocabSize` tokens or when the best pair occurs fewer
/// than `minFrequency` times.
public struct BPETrainer: Sendable {
    /// The pre-tokenization preset, which also fixes the normalizer, decoder and post-processor.
    public enum PreTokenizer: String, Sendable {
        /// GPT-2: ByteLevel with the GPT-2 regex; no normalizer.
        case gpt2
        /// Llama-3: Split on the Llama-3 regex, then ByteLevel; `ignore_merges`; a `<|begin_of_text|>`
        /// template when that token is among the special tokens.
        case llama3
        /// Qwen2: NFC, then Split on the Qwen2 regex, then ByteLevel.
        case qwen2
    }

    /// The target vocabulary size, special tokens and alphabet included.
    public let vocabSize: Int
    /// The minimum count a pair needs to be merged.
    public let minFrequency: Int
    /// Special tokens, given the first ids in this order.
    public let specialTokens: [String]
    /// The pre-tokenization preset.
    public let preTokenizer: PreTokenizer
    /// Whether to print progress to standard error.
    public let showProgress: Bool

    /// Creates a trainer.
    /// - Parameters:
    ///   - vocabSize: The target vocabulary size, including special tokens and the 256-character alphabet.
    ///   - minFrequency: The minimum pair count for a merge.
    ///   - specialTokens: Special tokens, given ids 0, 1, … in this order.
    ///   - preTokenizer: The preset (regex, normalizer, decoder, post-processor).
    ///   - showProgress: Whether to print progress to standard error.
    public init(vocabSize: Int, minFrequency: Int = 2, specialTokens: [String] = [], preTokenizer: PreTokenizer = .gpt2,
                showProgress: Bool = false) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
        self.preTokenizer = preTokenizer
        self.showProgress = showProgress
    }

    /// Trains on texts and returns the tokenizer.
    /// - Parameter texts: The training texts (each is normalized and pre-tokenized as a whole).
    /// - Returns: A tokenizer whose `jsonData()` HF `tokenizers` loads.
    /// - Throws: `TokenizerError.training` for unusable settings.
    /// - Complexity: Roughly O(words × merges) in the worst case, like HF's trainer.
    public func train(_ texts: some Sequence<String>) throws(TokenizerError) -> Tokenizer {
        guard vocabSize > 0 else { throw .training(reason: "vocabSize must be positive, not \(vocabSize)") }
        guard minFrequency >= 0 else {
            throw .training(reason: "minFrequency must not be negative, not \(minFrequency)")
        }
        if let empty = specialTokens.firstIndex(where: \.isEmpty) {
            throw .training(reason: "specialTokens[\(empty)] is empty")
        }
        let preset = Preset(preTokenizer)
        let ctx = ConfigContext(source: "<BPETrainer \(preTokenizer.rawValue)>")
        let pipeline = try preset.pipeline(ctx)

        // Count words.
        var wordCounts: [[UInt32]: Int] = [:]
        var seen = 0
        for text in texts {
            var s = scalars(text)
            if let n = pipeline.normalizer { s = n.apply(s) }
            for piece in pipeline.preTokenizer.apply([Piece(s: s, atStart: true)]) where !piece.s.isEmpty {
                wordCounts[piece.s, default: 0] += 1
            }
            seen += 1
            if showProgress, seen % 10_000 == 0 { progress("pre-processed \(seen) texts") }
        }

        let (vocab, merges) = learn(wordCounts)
        if showProgress { progress("vocabulary \(vocab.count), merges \(merges.count)") }

        let document = preset.document(vocab: vocab, merges: merges, specialTokens: specialTokens)
        return try Tokenizer(document: document, source: ctx.source)
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("BPETrainer: \(message)\n".utf8))
    }

    /// HF `BpeTrainer::do_train` on counted words: returns the vocabulary (by id) and the merges.
    func learn(_ wordCounts: [[UInt32]: Int]) -> (vocab: [String], merges: [(String, String)]) {
        var wordToId: [TokenKey: Int32] = [:]
        var idToWord: [String] = []
        func addToken(_ s: String) {
            let k = TokenKey(s)
            if wordToId[k] == nil {
                idToWord.append(s)
                wordToId[k] = Int32(idToWord.count - 1)
            }
        }
        // 1. Special tokens.
        for t in specialTokens { addToken(t) }
        // 2. Alphabet: characters seen plus the byte-level alphabet, in code point order.
        var alphabet = Set(ByteLevel.alphabet)
        for w in wordCounts.keys { alphabet.formUnion(w) }
        for c in alphabet.sorted() { addToken(string([c])) }
        // 3. Words as symbol ids.
        var words: [[Int32]] = []
        var counts: [Int] = []
        words.reserveCapacity(wordCounts.count)
        counts.reserveCapacity(wordCounts.count)
        for (w, n) in wordCounts {
            words.append(w.map { wordToId[TokenKey(string([$0]))]! })
            counts.append(n)
        }
        // 4. Pair counts and positions.
        var pairCounts: [UInt64: Int] = [:]
        var whereToUpdate: [UInt64: Set<Int>] = [:]
        for (i, w) in words.enumerated() where w.count > 1 {
            for j in 0..<(w.count - 1) {
                let p = pairKey(w[j], w[j + 1])
                pairCounts[p, default: 0] += counts[i]
                whereToUpdate[p, default: []].insert(i)
            }
        }
        var queue = TrainerHeap()
        for (p, pos) in whereToUpdate {
            let c = pairCounts[p]!
            if c > 0 { queue.push(TrainerMerge(pair: p, count: c, pos: pos)) }
        }
        whereToUpdate.removeAll()

        // 5. Merges.
        var merges: [(Int32, Int32)] = []
        while idToWord.count < vocabSize, var top = queue.pop() {
            let current = pairCounts[top.pair]!
            if top.count != current {
                top.count = current
                queue.push(top)
                continue
            }
            if top.count < 1 || minFrequency > top.count { break }
            let a = Int32(truncatingIfNeeded: top.pair >> 32), b = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
            let newToken = idToWord[Int(a)] + idToWord[Int(b)]
            addToken(newToken)
            let newId = wordToId[TokenKey(newToken)]!
            merges.append((a, b))
            for i in top.pos {
                for (pair, change) in Self.merge(&words[i], a, b, newId) {
                    pairCounts[pair, default: 0] += change * counts[i]
                    if change > 0 { whereToUpdate[pair, default: []].insert(i) }
                }
            }
            for (p, pos) in whereToUpdate {
                let c = pairCounts[p]!
                if c > 0 { queue.push(TrainerMerge(pair: p, count: c, pos: pos)) }
            }
            whereToUpdate.removeAll(keepingCapacity: true)
            if showProgress, merges.count % 1000 == 0 { progress("\(merges.count) merges") }
        }
        return (idToWord, merges.map { (idToWord[Int($0.0)], idToWord[Int($0.1)]) })
    }

    @inline(__always)
    private func pairKey(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// HF trainer `Word::merge`: merges every occurrence left to right and reports pair count changes.
    static func merge(_ symbols: inout [Int32], _ c1: Int32, _ c2: Int32, _ replacement: Int32) -> [(UInt64, Int)] {
        func key(_ a: Int32, _ b: Int32) -> UInt64 {
            UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
        }
        var changes: [(UInt64, Int)] = []
        var i = 0
        while i < symbols.count {
            if symbols[i] == c1, i + 1 < symbols.count, symbols[i + 1] == c2 {
                let first = symbols[i], second = symbols[i + 1]
                if i > 0 {
                    changes.append((key(symbols[i - 1], first), -1))
                    changes.append((key(symbols[i - 1], replacement), 1))
                }
                symbols[i] = replacement
                symbols.remove(at: i + 1)
                if i < symbols.count - 1 {
                    changes.append((key(second, symbols[i + 1]), -1))
                    changes.append((key(replacement, symbols[i + 1]), 1))
                }
            }
            i += 1
        }
        return changes
    }
}

/// A queued merge candidate (HF trainer `Merge`).
struct TrainerMerge {
    var pair: UInt64
    var count: Int
    var pos: Set<Int>

    /// Higher count first, then the smaller pair.
    @inline(__always)
    func before(_ o: TrainerMerge) -> Bool {
        count != o.count ? count > o.count : pair < o.pair
    }
}

/// A binary max-heap of merge candidates.
struct TrainerHeap {
    private var items: [TrainerMerge] = []

    mutating func push(_ m: TrainerMerge) {
        items.append(m)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !items[i].before(items[p]) { break }
            items.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> TrainerMerge? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n, items[l].before(items[m]) { m = l }
            if r < n, items[r].before(items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
