// Added tokens: id assignment and the leftmost-longest matching HF does before normalization.

import JSON

/// A token added on top of the model vocabulary (special tokens and user-added tokens).
public struct AddedToken: Sendable, Equatable, Hashable {
    /// The token's id.
    public let id: Int
    /// The token text.
    public let content: String
    /// Whether it only matches as a whole word.
    public let singleWord: Bool
    /// Whether it swallows whitespace on its left.
    public let lstrip: Bool
    /// Whether it swallows whitespace on its right.
    public let rstrip: Bool
    /// Whether it matches against normalized text (otherwise against the raw input).
    public let normalized: Bool
    /// Whether it is a special token (skipped by `decode(_:skipSpecialTokens:)`).
    public let special: Bool

    /// Creates an added token.
    /// - Parameters:
    ///   - id: The token's id.
    ///   - content: The token text.
    ///   - singleWord: Whether it only matches as a whole word.
    ///   - lstrip: Whether it swallows whitespace on its left.
    ///   - rstrip: Whether it swallows whitespace on its right.
    ///   - normalized: Whether it matches normalized text rather than the raw input.
    ///   - special: Whether it is a special token.
    public init(id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    /// The content and options, compared byte-exactly (HF compares added tokens without their id).
    var optionsKey: OptionsKey {
        OptionsKey(content: TokenKey(content), singleWord: singleWord, lstrip: lstrip, rstrip: rstrip,
                   normalized: normalized, special: special)
    }

    struct OptionsKey: Hashable, Sendable {
        let content: TokenKey
        let singleWord, lstrip, rstrip, normalized, special: Bool
    }
}

/// A segment of input after added-token extraction: raw text, or an added token's id.
enum Segment {
    case text(Piece)
    case token(Int)
}

/// A trie over scalar sequences with leftmost-longest search (like aho-corasick's LeftmostLongest).
struct ScalarTrie: Sendable {
    private var nodes: [[UInt32: Int32]] = [[:]]
    private var terminal: [Int32] = [-1]  // pattern index, first inserted wins
    private(set) var isEmpty = true

    mutating func insert(_ pattern: [UInt32], index: Int) {
        guard !pattern.isEmpty else { return }
        isEmpty = false
        var node = 0
        for c in pattern {
            if let next = nodes[node][c] {
                node = Int(next)
            } else {
                nodes.append([:])
                terminal.append(-1)
                nodes[node][c] = Int32(nodes.count - 1)
                node = nodes.count - 1
            }
        }
        if terminal[node] < 0 { terminal[node] = Int32(index) }
    }

    /// The longest pattern starting at `i`: (end, pattern index).
    func longestMatch(in s: [UInt32], at i: Int) -> (end: Int, index: Int)? {
        var node = 0
        var best: (Int, Int)? = nil
        var j = i
        while j < s.count, let next = nodes[node][s[j]] {
            node = Int(next)
            j += 1
            if terminal[node] >= 0 { best = (j, Int(terminal[node])) }
        }
        return best
    }

    /// Non-overlapping leftmost-longest matches: (start, end, pattern index).
    func findAll(in s: [UInt32]) -> [(Int, Int, Int)] {
        var out: [(Int, Int, Int)] = []
        guard !isEmpty else { return out }
        let root = nodes[0]
        var i = 0
        while i < s.count {
            if root[s[i]] != nil, let m = longestMatch(in: s, at: i) {
                out.append((i, m.end, m.index))
                i = m.end
            } else {
                i += 1
            }
        }
        return out
    }
}

/// The added tokens of a tokenizer and the machinery to split input on them (HF `AddedVocabulary`).
struct AddedVocabulary: Sendable {
    /// All added tokens by id.
    private(set) var byId: [Int: AddedToken] = [:]
    /// Content to id.
    private(set) var byContent: [TokenKey: Int] = [:]
    /// Contents of special tokens.
    private(set) var specialContents: Set<TokenKey> = []
    /// The content and options of every token in `byId`, counted (HF skips exact duplicates).
    private var present: [AddedToken.OptionsKey: Int] = [:]
    /// The largest added id so far.
    private var maxAddedId: Int? = nil
    /// Tokens in matching order: special tokens first, then the others, each in insertion order.
    private var specialOrder: [AddedToken] = []
    private var classicOrder: [AddedToken] = []
    private var rawTrie = ScalarTrie()
    private var rawIds: [Int] = []
    private var normalizedTrie = ScalarTrie()
    private var normalizedIds: [Int] = []

    init() {}

    /// Adds tokens the way HF does when loading tokenizer.json: ids come from the model vocabulary
    /// when the content is there, otherwise they continue after the model's vocabulary.
    /// - Parameters:
    ///   - tokens: The tokens (their `id` is only a hint and is replaced as HF would).
    ///   - modelId: Looks a content up in the model vocabulary.
    ///   - modelSize: The number of entries in the model vocabulary.
    ///   - normalizer: Used to normalize the contents of `normalized` tokens for matching.
    mutating func add(_ tokens: [AddedToken], modelId: (String) -> Int?, modelSize: Int, normalizer: Normalizer?) {
        for t in tokens where t.special && !t.content.isEmpty && !specialContents.contains(TokenKey(t.content)) {
            specialOrder.append(t)
            specialContents.insert(TokenKey(t.content))
        }
        for t in tokens {
            if t.content.isEmpty || present[t.optionsKey, default: 0] > 0 { continue }
            let id: Int
            if let existing = byContent[TokenKey(t.content)] ?? modelId(t.content) {
                id = existing
            } else if let maxAdded = maxAddedId {
                id = maxAdded >= modelSize || modelSize == 0 ? maxAdded + 1 : modelSize
            } else {
                id = modelSize
            }
            let token = AddedToken(id: id, content: t.content, singleWord: t.singleWord, lstrip: t.lstrip,
                                   rstrip: t.rstrip, normalized: t.normalized, special: t.special)
            byContent[TokenKey(t.content)] = id
            if let old = byId[id] { present[old.optionsKey, default: 1] -= 1 }
            byId[id] = token
            present[token.optionsKey, default: 0] += 1
            maxAddedId = max(maxAddedId ?? id, id)
            if !specialContents.contains(TokenKey(t.content)) { classicOrder.append(token) }
        }
        rebuild(normalizer: normalizer)
    }

    private mutating func rebuild(normalizer: Normalizer?) {
        rawTrie = ScalarTrie()
        normalizedTrie = ScalarTrie()
        rawIds = []
        normalizedIds = []
        for t in specialOrder + classicOrder {
            guard let id = byContent[TokenKey(t.content)] else { continue }
            if t.normalized {
                let pattern = normalizer?.apply(scalars(t.content)) ?? scalars(t.content)
                normalizedTrie.insert(pattern, index: normalizedIds.count)
                normalizedIds.append(id)
            } else {
                rawTrie.insert(scalars(t.content), index: rawIds.count)
                rawIds.append(id)
            }
        }
    }

    var isEmpty: Bool { byId.isEmpty }

    /// Added tokens sorted by id.
    var sorted: [AddedToken] { byId.values.sorted { $0.id < $1.id } }

    /// Splits raw input on non-normalized added tokens.
    func splitRaw(_ piece: Piece) -> [Segment] {
        split(piece, rawTrie, rawIds)
    }

    /// Splits normalized text on normalized added tokens.
    func splitNormalized(_ piece: Piece) -> [Segment] {
        split(piece, normalizedTrie, normalizedIds)
    }

    /// HF `AddedVocabulary::find_matches` plus the split into segments.
    private func split(_ piece: Piece, _ trie: ScalarTrie, _ ids: [Int]) -> [Segment] {
        let s = piece.s
        if trie.isEmpty || s.isEmpty { return [.text(piece)] }
        var out: [Segment] = []
        var startOffset = 0
        func emitText(_ a: Int, _ b: Int) {
            out.append(.text(Piece(s: Array(s[a..<b]), atStart: piece.atStart && a == 0)))
        }
        for (mStart, mEnd, index) in trie.findAll(in: s) {
            var start = mStart, stop = mEnd
            let id = ids[index]
            guard let token = byId[id] else { continue }
            if token.singleWord {
                let startSpace = start == 0 || !CharClass.isRegexWord(s[start - 1])
                let stopSpace = stop == s.count || !CharClass.isRegexWord(s[stop])
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0, CharClass.isWhiteSpace(s[newStart - 1]) { newStart -= 1 }
                start = max(newStart, startOffset)
            }
            if token.rstrip {
                while stop < s.count, CharClass.isWhiteSpace(s[stop]) { stop += 1 }
            }
            if startOffset < start { emitText(startOffset, start) }
            out.append(.token(id))
            startOffset = stop
        }
        if startOffset != s.count { emitText(startOffset, s.count) }
        return out
    }
}
