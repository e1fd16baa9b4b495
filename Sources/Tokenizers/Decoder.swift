// Decoders: turn token strings back into text.

import JSON

/// A tokenizer.json decoder.
indirect enum Decoder: Sendable {
    case byteLevel
    case wordPiece(prefix: String, cleanup: Bool)
    case metaspace(replacement: UInt32, scheme: PrependScheme)
    case bpe(suffix: String)
    case replace(SplitPattern, content: [UInt32])
    case strip(content: UInt32, start: Int, stop: Int)
    case fuse
    case byteFallback
    case sequence([Decoder])

    static let supported = ["BPEDecoder", "ByteFallback", "ByteLevel", "Fuse", "Metaspace", "Replace", "Sequence",
                            "Strip", "WordPiece"]

    /// Parses a decoder object.
    static func parse(_ value: JSONValue, _ path: String, _ ctx: ConfigContext) throws(TokenizerError) -> Decoder {
        let obj = try ctx.object(value, path)
        let type = try ctx.type(obj, path)
        switch type {
        case "ByteLevel": return .byteLevel
        case "WordPiece":
            return .wordPiece(prefix: try ctx.optionalString(obj["prefix"], path + ".prefix") ?? "##",
                              cleanup: try ctx.bool(obj["cleanup"], path + ".cleanup", default: true))
        case "Metaspace":
            var scheme = PrependScheme.always
            if let v = obj["prepend_scheme"], !v.isNull {
                let s = try ctx.string(v, path + ".prepend_scheme")
                guard let p = PrependScheme(rawValue: s) else {
                    throw ctx.unsupported(path + ".prepend_scheme", s, supported: ["first", "never", "always"])
                }
                scheme = p
            }
            if try ctx.optionalBool(obj["add_prefix_space"], path + ".add_prefix_space") == false { scheme = .never }
            return .metaspace(replacement: try ctx.char(obj["replacement"], path + ".replacement"), scheme: scheme)
        case "BPEDecoder":
            return .bpe(suffix: try ctx.optionalString(obj["suffix"], path + ".suffix") ?? "</w>")
        case "Replace":
            return .replace(try parsePattern(obj["pattern"], path + ".pattern", ctx),
                            content: scalars(try ctx.string(obj["content"], path + ".content")))
        case "Strip":
            let start = try ctx.int(obj["start"], path + ".start", default: 0)
            let stop = try ctx.int(obj["stop"], path + ".stop", default: 0)
            guard start >= 0, stop >= 0 else { throw ctx.invalid(path, "start and stop must not be negative") }
            return .strip(content: try ctx.char(obj["content"], path + ".content"), start: start, stop: stop)
        case "Fuse": return .fuse
        case "ByteFallback": return .byteFallback
        case "Sequence":
            return .sequence(try ctx.list(obj, "decoders", path) { (item, p) throws(TokenizerError) in try parse(item, p, ctx) })
        default:
            throw ctx.unsupported(path + ".type", type, supported: supported)
        }
    }

    /// HF `Decoder::decode_chain`.
    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                let start = bytes.count
                var ok = true
                for u in t.unicodeScalars {
                    guard let b = ByteLevel.byte(for: u.value) else { ok = false; break }
                    bytes.append(b)
                }
                if !ok {
                    bytes.removeSubrange(start...)
                    bytes.append(contentsOf: t.utf8)
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .wordPiece(prefix, cleanup):
            return tokens.enumerated().map { i, token in
                var t = token
                if i != 0 {
                    if t.hasBytePrefix(prefix) {
                        t = String(decoding: t.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                    } else {
                        t = " " + t
                    }
                }
                return cleanup ? Self.cleanup(t) : t
            }
        case let .metaspace(replacement, scheme):
            return tokens.enumerated().map { i, token in
                var out = String.UnicodeScalarView()
                for u in token.unicodeScalars {
                    if u.value == replacement {
                        if i == 0 && scheme != .never { continue }
                        out.append(" ")
                    } else {
                        out.append(u)
                    }
                }
                return String(out)
            }
        case .bpe(let suffix):
            let n = tokens.count - 1
            return tokens.enumerated().map { i, t in
                suffix.isEmpty ? t : t.replacingAll(suffix, with: i == n ? "" : " ")
            }
        case let .replace(pattern, content):
            return tokens.map { t in
                let s = scalars(t)
                let ms = pattern.matches(in: s)
                if ms.isEmpty { return t }
                var out: [UInt32] = []
                var last = 0
                for m in ms {
                    out.append(contentsOf: s[last..<m.lowerBound])
                    out.append(contentsOf: content)
                    last = m.upperBound
                }
                out.append(contentsOf: s[last...])
                return string(out)
            }
        case let .strip(content, start, stop):
            return tokens.map { t in
                let cs = scalars(t)
                var startCut = 0
                for (i, c) in cs.prefix(start).enumerated() {
                    if c == content { startCut = i + 1 } else { break }
                }
                var stopCut = cs.count
                for i in 0..<min(stop, cs.count) {
                    let index = cs.count - i - 1
                    if cs[index] == content { stopCut = index } else { break }
                }
                return startCut < stopCut ? string(cs[startCut..<stopCut]) : ""
            }
        case .fuse:
            return [tokens.joined()]
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                if pending.isEmpty { return }
                if let s = String(validating: pending, as: UTF8.self) {
                    out.append(s)
                } else {
                    out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
                }
                pending.removeAll()
            }
            for t in tokens {
                if let b = Self.byteToken(t) {
                    pending.append(b)
                } else {
                    flush()
                    out.append(t)
                }
            }
            flush()
            return out
        case .sequence(let items):
            var t = tokens
            for d in items { t = d.decodeChain(t) }
            return t
        }
    }

    /// `<0xAB>` to its byte.
    private static func byteToken(_ t: String) -> UInt8? {
        let u = Array(t.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    /// HF's WordPiece `cleanup`.
    static func cleanup(_ s: String) -> String {
        var t = s
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                       (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            t = t.replacingAll(a, with: b)
        }
        return t
    }
}

extension String {
    /// Replaces every non-overlapping occurrence, scanning left to right over UTF-8 (Rust `str::replace`).
    func replacingAll(_ target: String, with replacement: String) -> String {
        let hay = Array(utf8), needle = Array(target.utf8)
        guard !needle.isEmpty, needle.count <= hay.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(hay.count)
        var i = 0
        var changed = false
        while i < hay.count {
            if i + needle.count <= hay.count, hay[i] == needle[0], hay[i..<i + needle.count].elementsEqual(needle) {
                out.append(contentsOf: replacement.utf8)
                i += needle.count
                changed = true
            } else {
                out.append(hay[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : self
    }
}
