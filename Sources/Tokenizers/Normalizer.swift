// Normalizers: the text transformations HF applies before pre-tokenization.

import JSON

/// A tokenizer.json normalizer, applied to scalar arrays.
indirect enum Normalizer: Sendable {
    case nfc, nfd, nfkc, nfkd
    case lowercase
    case stripAccents
    case strip(left: Bool, right: Bool)
    case prepend([UInt32])
    case replace(SplitPattern, content: [UInt32])
    case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool)
    case sequence([Normalizer])

    static let supported = ["BertNormalizer", "Lowercase", "NFC", "NFD", "NFKC", "NFKD", "Prepend", "Replace",
                            "Sequence", "Strip", "StripAccents"]

    /// Parses a normalizer object (`null` is handled by the caller).
    static func parse(_ value: JSONValue, _ path: String, _ ctx: ConfigContext) throws(TokenizerError) -> Normalizer {
        let obj = try ctx.object(value, path)
        let type = try ctx.type(obj, path)
        switch type {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "StripAccents": return .stripAccents
        case "Strip":
            return .strip(left: try ctx.bool(obj["strip_left"], path + ".strip_left", default: true),
                          right: try ctx.bool(obj["strip_right"], path + ".strip_right", default: true))
        case "Prepend":
            return .prepend(scalars(try ctx.string(obj["prepend"], path + ".prepend")))
        case "Replace":
            let pattern = try parsePattern(obj["pattern"], path + ".pattern", ctx)
            return .replace(pattern, content: scalars(try ctx.string(obj["content"], path + ".content")))
        case "BertNormalizer":
            let lowercase = try ctx.bool(obj["lowercase"], path + ".lowercase", default: true)
            let strip = try ctx.optionalBool(obj["strip_accents"], path + ".strip_accents")
            return .bert(cleanText: try ctx.bool(obj["clean_text"], path + ".clean_text", default: true),
                         handleChineseChars: try ctx.bool(obj["handle_chinese_chars"], path + ".handle_chinese_chars",
                                                          default: true),
                         stripAccents: strip ?? lowercase, lowercase: lowercase)
        case "Sequence":
            return .sequence(try ctx.list(obj, "normalizers", path) { (item, p) throws(TokenizerError) in try parse(item, p, ctx) })
        default:
            throw ctx.unsupported(path + ".type", type, supported: supported)
        }
    }

    /// Applies the normalizer.
    func apply(_ s: [UInt32]) -> [UInt32] {
        switch self {
        case .nfc: return Self.ifNonASCII(s, UnicodeNormalization.nfc)
        case .nfd: return Self.ifNonASCII(s, UnicodeNormalization.nfd)
        case .nfkc: return Self.ifNonASCII(s, UnicodeNormalization.nfkc)
        case .nfkd: return Self.ifNonASCII(s, UnicodeNormalization.nfkd)
        case .lowercase: return Self.lowercase(s)
        case .stripAccents: return s.filter { !CharClass.isCombiningMark($0) }
        case let .strip(left, right):
            var a = 0, b = s.count
            if left { while a < b, CharClass.isWhiteSpace(s[a]) { a += 1 } }
            if right { while b > a, CharClass.isWhiteSpace(s[b - 1]) { b -= 1 } }
            return Array(s[a..<b])
        case .prepend(let p):
            return s.isEmpty ? s : p + s
        case let .replace(pattern, content):
            let ms = pattern.matches(in: s)
            if ms.isEmpty { return s }
            var out: [UInt32] = []
            out.reserveCapacity(s.count)
            var last = 0
            for m in ms {
                out.append(contentsOf: s[last..<m.lowerBound])
                out.append(contentsOf: content)
                last = m.upperBound
            }
            out.append(contentsOf: s[last...])
            return out
        case let .bert(cleanText, handleChinese, stripAccents, lowercase):
            var t = s
            if cleanText {
                t = t.compactMap { c in
                    if CharClass.isBertControl(c) { return nil }
                    return c == 0x09 || c == 0x0A || c == 0x0D || CharClass.isWhiteSpace(c) ? 0x20 : c
                }
            }
            if handleChinese, t.contains(where: CharClass.isChineseChar) {
                var out: [UInt32] = []
                out.reserveCapacity(t.count + 8)
                for c in t {
                    if CharClass.isChineseChar(c) {
                        out.append(contentsOf: [0x20, c, 0x20])
                    } else {
                        out.append(c)
                    }
                }
                t = out
            }
            if stripAccents {
                t = Self.ifNonASCII(t, UnicodeNormalization.nfd)
                t.removeAll(where: CharClass.isNonspacingMark9)
            }
            if lowercase { t = Self.lowercase(t) }
            return t
        case .sequence(let items):
            var t = s
            for n in items { t = n.apply(t) }
            return t
        }
    }

    /// Rust `char::to_lowercase` on every scalar (full mappings, no context such as final sigma).
    static func lowercase(_ s: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(s.count)
        for c in s {
            if c < 0x80 {
                out.append(c >= 0x41 && c <= 0x5A ? c + 0x20 : c)
            } else if let u = Unicode.Scalar(c), CharClass.assigned(u.properties, in: CharClass.rustStdVersion) {
                let m = u.properties.lowercaseMapping
                for x in m.unicodeScalars { out.append(x.value) }
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Applies a normalization form unless the text is ASCII (which every form leaves unchanged).
    private static func ifNonASCII(_ s: [UInt32], _ form: ([UInt32]) -> [UInt32]) -> [UInt32] {
        s.allSatisfy({ $0 < 0x80 }) ? s : form(s)
    }
}

/// Parses a `{"String": ...}` or `{"Regex": ...}` pattern object.
func parsePattern(_ value: JSONValue?, _ path: String, _ ctx: ConfigContext) throws(TokenizerError) -> SplitPattern {
    let obj = try ctx.object(value, path)
    if let lit = obj["String"] {
        return .literal(scalars(try ctx.string(lit, path + ".String")))
    }
    if let re = obj["Regex"] {
        let pattern = try ctx.string(re, path + ".Regex")
        do {
            return try SplitPattern.compile(regex: pattern)
        } catch {
            throw ctx.invalid(path + ".Regex", error.message)
        }
    }
    throw ctx.invalid(path, "must be {\"String\": ...} or {\"Regex\": ...}")
}

/// The scalar values of a string.
func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }

/// Alias of `scalars(_:)` for readability at call sites that convert back and forth.
func scalarValues(_ s: String) -> [UInt32] { scalars(s) }

/// A string from scalar values (invalid values become U+FFFD).
func string(_ s: some Sequence<UInt32>) -> String {
    var v = String.UnicodeScalarView()
    for c in s { v.append(Unicode.Scalar(c) ?? "\u{FFFD}") }
    return String(v)
}
