// Pre-tokenizers: split normalized text into words (and, for ByteLevel, map bytes to characters).

import JSON

/// A piece of text between pre-tokenization steps.
struct Piece: Sendable {
    /// The scalars of the piece.
    var s: [UInt32]
    /// Whether the piece starts at offset 0 of the original input (for Metaspace's "first" scheme).
    var atStart: Bool
}

/// How a split pattern's matches are kept (HF `SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious",
         mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    static func parse(_ value: JSONValue?, _ path: String,
                      _ ctx: ConfigContext) throws(TokenizerError) -> SplitBehavior {
        let s = try ctx.string(value, path)
        guard let b = SplitBehavior(rawValue: s) else {
            throw ctx.unsupported(path, s, supported: ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
                                                       "Contiguous"])
        }
        return b
    }

    /// Turns a covering list of (range, isMatch) into the kept ranges (HF `NormalizedString::split`).
    func apply(_ matches: [(Range<Int>, Bool)]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(matches.count)
        switch self {
        case .isolated:
            for (r, _) in matches { out.append(r) }
        case .removed:
            for (r, m) in matches where !m { out.append(r) }
        case .contiguous:
            var previous = false
            for (r, m) in matches {
                if m == previous, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    out.append(r)
                }
                previous = m
            }
        case .mergedWithPrevious:
            var previous = false
            for (r, m) in matches {
                if m && !previous, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    out.append(r)
                }
                previous = m
            }
        case .mergedWithNext:
            var previous = false
            for (r, m) in matches.reversed() {
                if m && !previous, let last = out.last {
                    out[out.count - 1] = r.lowerBound..<last.upperBound
                } else {
                    out.append(r)
                }
                previous = m
            }
            out.reverse()
        }
        return out
    }
}

/// Metaspace's rule for prepending the replacement character.
enum PrependScheme: String, Sendable { case first, never, always }

/// A tokenizer.json pre-tokenizer.
indirect enum PreTokenizer: Sendable {
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(SplitPattern, SplitBehavior, invert: Bool)
    case bert
    case whitespace
    case whitespaceSplit
    case digits(individual: Bool)
    case punctuation(SplitBehavior)
    case metaspace(replacement: UInt32, scheme: PrependScheme, split: Bool)
    case sequence([PreTokenizer])

    static let supported = ["BertPreTokenizer", "ByteLevel", "Digits", "Metaspace", "Punctuation", "Sequence", "Split",
                            "Whitespace", "WhitespaceSplit"]

    /// Parses a pre-tokenizer object.
    static func parse(_ value: JSONValue, _ path: String, _ ctx: ConfigContext) throws(TokenizerError) -> PreTokenizer {
        let obj = try ctx.object(value, path)
        let type = try ctx.type(obj, path)
        switch type {
        case "ByteLevel":
            let addPrefixSpace = try ctx.bool(obj["add_prefix_space"], path + ".add_prefix_space", default: true)
            return .byteLevel(addPrefixSpace: addPrefixSpace,
                              useRegex: try ctx.bool(obj["use_regex"], path + ".use_regex", default: true))
        case "Split":
            let pattern = try parsePattern(obj["pattern"], path + ".pattern", ctx)
            return .split(pattern, try SplitBehavior.parse(obj["behavior"], path + ".behavior", ctx),
                          invert: try ctx.bool(obj["invert"], path + ".invert", default: false))
        case "BertPreTokenizer": return .bert
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "Digits":
            return .digits(individual: try ctx.bool(obj["individual_digits"], path + ".individual_digits",
                                                    default: false))
        case "Punctuation":
            let b = obj["behavior"] == nil
                ? .isolated : try SplitBehavior.parse(obj["behavior"], path + ".behavior", ctx)
            return .punctuation(b)
        case "Metaspace":
            let replacement = try ctx.char(obj["replacement"], path + ".replacement")
            var scheme = PrependScheme.always
            if let v = obj["prepend_scheme"], !v.isNull {
                let s = try ctx.string(v, path + ".prepend_scheme")
                guard let p = PrependScheme(rawValue: s) else {
                    throw ctx.unsupported(path + ".prepend_scheme", s, supported: ["first", "never", "always"])
                }
                scheme = p
            }
            if try ctx.optionalBool(obj["add_prefix_space"], path + ".add_prefix_space") == false { scheme = .never }
            return .metaspace(replacement: replacement, scheme: scheme,
                              split: try ctx.bool(obj["split"], path + ".split", default: true))
        case "Sequence":
            return .sequence(try ctx.list(obj, "pretokenizers", path) { (item, p) throws(TokenizerError) in try parse(item, p, ctx) })
        default:
            throw ctx.unsupported(path + ".type", type, supported: supported)
        }
    }

    /// Applies the pre-tokenizer to every piece; empty pieces are dropped.
    func apply(_ pieces: [Piece]) -> [Piece] {
        switch self {
        case .sequence(let items):
            var p = pieces
            for item in items { p = item.apply(p) }
            return p
        case let .byteLevel(addPrefixSpace, useRegex):
            var out: [Piece] = []
            out.reserveCapacity(pieces.count * 4)
            for var piece in pieces {
                if addPrefixSpace, piece.s.first != 0x20 { piece.s.insert(0x20, at: 0) }
                if useRegex {
                    for r in SplitPattern.gpt2.matches(in: piece.s) where !r.isEmpty {
                        out.append(Piece(s: ByteLevel.encode(piece.s[r]), atStart: piece.atStart && r.lowerBound == 0))
                    }
                } else if !piece.s.isEmpty {
                    out.append(Piece(s: ByteLevel.encode(piece.s[...]), atStart: piece.atStart))
                }
            }
            return out
        case let .split(pattern, behavior, invert):
            return Self.splitAll(pieces, behavior) { s in
                Self.cover(pattern.matches(in: s), count: s.count, invert: invert)
            }
        case .bert:
            let a = Self.splitAll(pieces, .removed) { Self.charMatches($0, CharClass.isWhiteSpace) }
            return Self.splitAll(a, .isolated) { Self.charMatches($0, CharClass.isBertPunctuation) }
        case .whitespace:
            // Regex \w+|[^\w\s]+ with the matches kept and everything else removed.
            return Self.splitAll(pieces, .removed) { s in
                var ranges: [Range<Int>] = []
                var i = 0
                while i < s.count {
                    if CharClass.isWhiteSpace(s[i]) { i += 1; continue }
                    let word = CharClass.isRegexWord(s[i])
                    var j = i + 1
                    while j < s.count, !CharClass.isWhiteSpace(s[j]), CharClass.isRegexWord(s[j]) == word { j += 1 }
                    ranges.append(i..<j)
                    i = j
                }
                return Self.cover(ranges, count: s.count, invert: true)
            }
        case .whitespaceSplit:
            return Self.splitAll(pieces, .removed) { Self.charMatches($0, CharClass.isWhiteSpace) }
        case .digits(let individual):
            return Self.splitAll(pieces, individual ? .isolated : .contiguous) {
                Self.charMatches($0, CharClass.isNumeric)
            }
        case .punctuation(let behavior):
            return Self.splitAll(pieces, behavior) { Self.charMatches($0, CharClass.isBertPunctuation) }
        case let .metaspace(replacement, scheme, split):
            var replaced: [Piece] = []
            for var piece in pieces {
                for i in piece.s.indices where piece.s[i] == 0x20 { piece.s[i] = replacement }
                switch scheme {
                case .always: if piece.s.first != replacement { piece.s.insert(replacement, at: 0) }
                case .first: if piece.s.first != replacement, piece.atStart { piece.s.insert(replacement, at: 0) }
                case .never: break
                }
                replaced.append(piece)
            }
            guard split else { return replaced.filter { !$0.s.isEmpty } }
            return Self.splitAll(replaced, .mergedWithNext) { s in Self.charMatches(s) { $0 == replacement } }
        }
    }

    /// Splits every piece by the (range, isMatch) list `matcher` gives, keeping non-empty ranges.
    private static func splitAll(_ pieces: [Piece], _ behavior: SplitBehavior,
                                 _ matcher: ([UInt32]) -> [(Range<Int>, Bool)]) -> [Piece] {
        var out: [Piece] = []
        out.reserveCapacity(pieces.count * 2)
        for piece in pieces {
            for r in behavior.apply(matcher(piece.s)) where !r.isEmpty {
                out.append(Piece(s: Array(piece.s[r]), atStart: piece.atStart && r.lowerBound == 0))
            }
        }
        return out
    }

    /// Regex-style matches made into a covering list, with gaps as non-matches (HF `Pattern` for regexes).
    private static func cover(_ matches: [Range<Int>], count: Int, invert: Bool) -> [(Range<Int>, Bool)] {
        if count == 0 { return [(0..<0, invert)] }
        var out: [(Range<Int>, Bool)] = []
        out.reserveCapacity(matches.count * 2 + 1)
        var prev = 0
        for m in matches {
            if prev != m.lowerBound { out.append((prev..<m.lowerBound, invert)) }
            out.append((m, !invert))
            prev = m.upperBound
        }
        if prev != count { out.append((prev..<count, invert)) }
        return out
    }

    /// Character-predicate matches: each matching character alone, runs of others together.
    private static func charMatches(_ s: [UInt32], _ pred: (UInt32) -> Bool) -> [(Range<Int>, Bool)] {
        if s.isEmpty { return [(0..<0, false)] }
        var out: [(Range<Int>, Bool)] = []
        var last = 0
        for (i, c) in s.enumerated() where pred(c) {
            if last < i { out.append((last..<i, false)) }
            out.append((i..<i + 1, true))
            last = i + 1
        }
        if last < s.count { out.append((last..<s.count, false)) }
        return out
    }
}
