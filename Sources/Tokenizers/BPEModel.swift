// The BPE model: vocabulary, ranked merges, and HF's merge loop (lowest rank first, then leftmost).

import JSON

/// A byte-pair-encoding model as in HF `tokenizers` (`models::bpe::BPE`), without dropout.
final class BPEModel: Sendable {
    let vocab: [TokenKey: Int]
    let vocabR: [Int: String]
    /// Pair `(a << 32 | b)` to `(rank << 32 | newId)`.
    let merges: [UInt64: UInt64]
    /// The merges in rank order (duplicates resolved as HF does: the later rank wins).
    let mergeList: [(String, String)]
    let unkToken: String?
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    /// Ids of single-scalar tokens, for the fast path without prefix or suffix.
    private let charIds: [UInt32: Int32]
    private let cache = WordCache(capacity: 100_000)

    init(vocab: [TokenKey: Int], merges pairs: [(String, String)], unkToken: String?, continuingSubwordPrefix: String?,
         endOfWordSuffix: String?, fuseUnk: Bool, byteFallback: Bool, ignoreMerges: Bool,
         ctx: ConfigContext) throws(TokenizerError) {
        self.vocab = vocab
        var r: [Int: String] = [:]
        r.reserveCapacity(vocab.count)
        var chars: [UInt32: Int32] = [:]
        for (key, v) in vocab {
            let k = key.string
            r[v] = k
            let us = k.unicodeScalars
            if us.count == 1 { chars[us.first!.value] = Int32(v) }
        }
        vocabR = r
        charIds = chars
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        if let unkToken, vocab[TokenKey(unkToken)] == nil {
            throw ctx.invalid("model.unk_token", "\"\(unkToken)\" is not in the vocabulary")
        }

        let prefixBytes = continuingSubwordPrefix?.utf8.count ?? 0
        var m: [UInt64: UInt64] = [:]
        m.reserveCapacity(pairs.count)
        for (rank, (a, b)) in pairs.enumerated() {
            guard let aId = vocab[TokenKey(a)] else {
                throw ctx.invalid("model.merges[\(rank)]", "references \"\(a)\", which is not in the vocabulary")
            }
            guard let bId = vocab[TokenKey(b)] else {
                throw ctx.invalid("model.merges[\(rank)]", "references \"\(b)\", which is not in the vocabulary")
            }
            let bUTF8 = Array(b.utf8)
            guard bUTF8.count >= prefixBytes,
                  let bRest = String(validating: bUTF8[prefixBytes...], as: UTF8.self) else {
                throw ctx.invalid("model.merges[\(rank)]", "\"\(b)\" is shorter than the continuing_subword_prefix")
            }
            let merged = a + bRest
            guard let newId = vocab[TokenKey(merged)] else {
                throw ctx.invalid("model.merges[\(rank)]",
                                  "\"\(a) \(b)\" makes \"\(merged)\", which is not in the vocabulary")
            }
            m[UInt64(aId) << 32 | UInt64(bId)] = UInt64(rank) << 32 | UInt64(newId)
        }
        merges = m
        // Rank order as HF serializes it: one entry per pair, at its surviving rank.
        var ranked: [(Int, String, String)] = []
        ranked.reserveCapacity(m.count)
        for (pair, value) in m {
            ranked.append((Int(value >> 32), r[Int(pair >> 32)]!, r[Int(pair & 0xFFFF_FFFF)]!))
        }
        ranked.sort { $0.0 < $1.0 }
        mergeList = ranked.map { ($0.1, $0.2) }
    }

    /// Parses a `model` object of type BPE.
    static func parse(_ obj: JSONObject, _ ctx: ConfigContext) throws(TokenizerError) -> BPEModel {
        if let d = obj["dropout"], !d.isNull {
            throw .unsupported(source: ctx.source, reason: "model.dropout must be null (BPE dropout is not supported)")
        }
        let vocab = try ctx.vocab(obj["vocab"])
        let mergeItems = try ctx.array(obj["merges"], "model.merges")
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(mergeItems.count)
        for (i, item) in mergeItems.enumerated() {
            switch item {
            case .string(let line):
                if line.hasBytePrefix("#version") { continue }
                let parts = line.utf8.split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw ctx.invalid("model.merges[\(i)]", "\"\(line)\" must be two tokens separated by one space")
                }
                pairs.append((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self)))
            case .array(let two):
                guard two.count == 2, case .string(let a) = two[0], case .string(let b) = two[1] else {
                    throw ctx.invalid("model.merges[\(i)]", "must be a pair of strings")
                }
                pairs.append((a, b))
            default:
                throw ctx.invalid("model.merges[\(i)]",
                                  "must be a string \"a b\" or a pair [a, b], not \(item.typeName)")
            }
        }
        return try BPEModel(
            vocab: vocab, merges: pairs,
            unkToken: try ctx.optionalString(obj["unk_token"], "model.unk_token"),
            continuingSubwordPrefix: try ctx.optionalString(obj["continuing_subword_prefix"],
                                                            "model.continuing_subword_prefix"),
            endOfWordSuffix: try ctx.optionalString(obj["end_of_word_suffix"], "model.end_of_word_suffix"),
            fuseUnk: try ctx.bool(obj["fuse_unk"], "model.fuse_unk", default: false),
            byteFallback: try ctx.bool(obj["byte_fallback"], "model.byte_fallback", default: false),
            ignoreMerges: try ctx.bool(obj["ignore_merges"], "model.ignore_merges", default: false),
            ctx: ctx)
    }

    /// The model as tokenizer.json (`"a b"` merges, or `[a, b]` pairs when a token contains a space).
    func json() -> JSONValue {
        var o = JSONObject()
        o["type"] = .string("BPE")
        o["dropout"] = .null
        o["unk_token"] = unkToken.map(JSONValue.string) ?? .null
        o["continuing_subword_prefix"] = continuingSubwordPrefix.map(JSONValue.string) ?? .null
        o["end_of_word_suffix"] = endOfWordSuffix.map(JSONValue.string) ?? .null
        o["fuse_unk"] = .bool(fuseUnk)
        o["byte_fallback"] = .bool(byteFallback)
        o["ignore_merges"] = .bool(ignoreMerges)
        o["vocab"] = .object(orderedVocab(vocabR))
        let needPairs = mergeList.contains { $0.0.contains(" ") || $0.1.contains(" ") }
        o["merges"] = .array(mergeList.map {
            needPairs ? .array([.string($0.0), .string($0.1)]) : .string("\($0.0) \($0.1)")
        })
        return .object(o)
    }

    // MARK: - Encoding

    private struct Symbol {
        var c: Int32
        var prev: Int32
        var next: Int32
        var len: Int32
    }

    /// Appends the ids of one pre-tokenized word.
    func tokenize(_ word: [UInt32], into out: inout [Int]) {
        if word.isEmpty { return }
        if let hit = cache.get(word) {
            for id in hit { out.append(Int(id)) }
            return
        }
        if ignoreMerges, let id = vocab[TokenKey(string(word))] {
            out.append(id)
            return
        }
        let ids = mergeWord(word)
        cache.set(word, ids)
        for id in ids { out.append(Int(id)) }
    }

    /// HF `BPE::merge_word` followed by `Word::merge_all`.
    private func mergeWord(_ word: [UInt32]) -> [Int32] {
        var symbols: [Symbol] = []
        symbols.reserveCapacity(word.count)
        func add(_ id: Int32, _ len: Int32) {
            let n = Int32(symbols.count)
            if n > 0 { symbols[Int(n) - 1].next = n }
            symbols.append(Symbol(c: id, prev: n - 1, next: -1, len: len))
        }
        let plain = continuingSubwordPrefix == nil && endOfWordSuffix == nil
        var unk: (id: Int32, len: Int32)? = nil
        for (i, c) in word.enumerated() {
            let byteLen = Int32(c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4)
            var id: Int32? = nil
            var piece: String? = nil
            if plain {
                id = charIds[c]
            } else {
                var s = string([c])
                if i > 0, let p = continuingSubwordPrefix { s = p + s }
                if i == word.count - 1, let sfx = endOfWordSuffix { s += sfx }
                id = vocab[TokenKey(s)].map(Int32.init)
                piece = s
            }
            if let id {
                if let u = unk { add(u.id, u.len); unk = nil }
                add(id, byteLen)
                continue
            }
            if byteFallback {
                let s = piece ?? string([c])
                var byteIds: [Int32] = []
                for b in s.utf8 {
                    guard let bid = vocab[TokenKey(byteToken(b))] else { byteIds = []; break }
                    byteIds.append(Int32(bid))
                }
                if !byteIds.isEmpty {
                    for bid in byteIds { add(bid, 1) }
                    continue
                }
            }
            if let unkToken, let unkId = vocab[TokenKey(unkToken)].map(Int32.init) {
                if let u = unk {
                    if fuseUnk {
                        unk = (u.id, u.len + byteLen)
                    } else {
                        add(u.id, u.len)
                        unk = (unkId, byteLen)
                    }
                } else {
                    unk = (unkId, byteLen)
                }
            }
        }
        if let u = unk { add(u.id, u.len) }
        mergeAll(&symbols)
        var ids: [Int32] = []
        ids.reserveCapacity(symbols.count)
        for s in symbols where s.len != 0 { ids.append(s.c) }
        return ids
    }

    private func byteToken(_ b: UInt8) -> String {
        let hex: [Character] = Array("0123456789ABCDEF")
        return "<0x\(hex[Int(b >> 4)])\(hex[Int(b & 0xF)])>"
    }

    @inline(__always)
    private func lookup(_ a: Int32, _ b: Int32) -> (rank: UInt32, newId: Int32)? {
        guard let v = merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))] else { return nil }
        return (UInt32(v >> 32), Int32(truncatingIfNeeded: v & 0xFFFF_FFFF))
    }

    /// HF `Word::merge_all`: a min-heap on (rank, position) with stale entries skipped.
    private func mergeAll(_ symbols: inout [Symbol]) {
        if symbols.count < 2 { return }
        var heap = MergeHeap()
        for i in 0..<(symbols.count - 1) {
            if let m = lookup(symbols[i].c, symbols[i + 1].c) {
                heap.push(rank: m.rank, pos: UInt32(i), newId: m.newId)
            }
        }
        while let top = heap.pop() {
            let pos = Int(top.pos)
            if symbols[pos].len == 0 { continue }
            if symbols[pos].next == -1 { continue }
            let nextPos = Int(symbols[pos].next)
            let right = symbols[nextPos]
            guard let current = lookup(symbols[pos].c, right.c), current.newId == top.newId else { continue }
            // Merge.
            symbols[pos].c = top.newId
            symbols[pos].len += right.len
            symbols[pos].next = right.next
            symbols[nextPos].len = 0
            if right.next > -1, Int(right.next) < symbols.count {
                symbols[Int(right.next)].prev = Int32(pos)
            }
            let cur = symbols[pos]
            if cur.prev >= 0 {
                let prev = Int(cur.prev)
                if let m = lookup(symbols[prev].c, cur.c) {
                    heap.push(rank: m.rank, pos: UInt32(prev), newId: m.newId)
                }
            }
            let next = Int(cur.next)
            if cur.next >= 0, next < symbols.count {
                if let m = lookup(cur.c, symbols[next].c) {
                    heap.push(rank: m.rank, pos: UInt32(pos), newId: m.newId)
                }
            }
        }
    }
}

/// A binary min-heap of merge candidates ordered by (rank, position).
private struct MergeHeap {
    private var keys: [UInt64] = []  // rank << 32 | pos
    private var ids: [Int32] = []

    mutating func push(rank: UInt32, pos: UInt32, newId: Int32) {
        keys.append(UInt64(rank) << 32 | UInt64(pos))
        ids.append(newId)
        var i = keys.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if keys[p] <= keys[i] { break }
            keys.swapAt(p, i)
            ids.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> (pos: UInt32, newId: Int32)? {
        guard let first = keys.first else { return nil }
        let result = (pos: UInt32(first & 0xFFFF_FFFF), newId: ids[0])
        let lastKey = keys.removeLast()
        let lastId = ids.removeLast()
        if !keys.isEmpty {
            keys[0] = lastKey
            ids[0] = lastId
            var i = 0
            let n = keys.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n, keys[l] < keys[m] { m = l }
                if r < n, keys[r] < keys[m] { m = r }
                if m == i { break }
                keys.swapAt(m, i)
                ids.swapAt(m, i)
                i = m
            }
        }
        return result
    }
}

/// A vocabulary object in id order (HF's `OrderedVocabIter`).
func orderedVocab(_ vocabR: [Int: String]) -> JSONObject {
    var o = JSONObject()
    for id in vocabR.keys.sorted() { o[vocabR[id]!] = .int(id) }
    return o
}
