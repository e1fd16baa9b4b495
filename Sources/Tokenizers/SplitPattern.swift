// Patterns for the Split pre-tokenizer and the Replace normalizer/decoder: hand-coded scanners for
// the GPT-2, Llama-3 and Qwen2 regexes, literal strings, and NSRegularExpression for anything else.

import Foundation

/// The exact regex strings recognised and run by hand-coded scanners.
enum KnownPattern {
    static let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
}

/// An immutable compiled regular expression (NSRegularExpression is thread-safe once built).
final class RegexBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
}

/// Something to find in a sequence of Unicode scalars.
enum SplitPattern: Sendable {
    /// GPT-2's pre-tokenization regex.
    case gpt2
    /// Llama-3's pre-tokenization regex (digits in groups of up to three).
    case llama3
    /// Qwen2's pre-tokenization regex (single digits).
    case qwen2
    /// A literal string (HF escapes it into a regex).
    case literal([UInt32])
    /// Any other regex, run with NSRegularExpression (ICU syntax, close to Oniguruma's for common patterns).
    case regex(RegexBox)

    /// Compiles a regex pattern, using a hand-coded scanner when the pattern is one of the known ones.
    static func compile(regex pattern: String) throws(NSRegexError) -> SplitPattern {
        switch pattern {
        case KnownPattern.gpt2: return .gpt2
        case KnownPattern.llama3: return .llama3
        case KnownPattern.qwen2: return .qwen2
        default:
            let regex: NSRegularExpression
            do {
                regex = try NSRegularExpression(pattern: pattern, options: [])
            } catch {
                throw NSRegexError(message: "is not a valid regex (\(error))")
            }
            if let probe = backtrackingProbe(regex, pattern: pattern) {
                let head = String(probe.prefix(3)), tail = String(probe.suffix(1))
                let shown = (head + "…" + tail).debugDescription
                throw NSRegexError(message: """
                    "\(pattern)" backtracks catastrophically: matching it against \(shown) (\(probe.count) characters) ran past \
                    \(Int(probeTimeLimit * 1000)) ms (nested repetition such as (a+)+); rewrite the pattern
                    """)
            }
            return .regex(RegexBox(regex))
        }
    }

    /// A regex that cannot be used: the message says why (invalid syntax, catastrophic backtracking).
    struct NSRegexError: Error { let message: String }

    /// How long one load-time probe of a regex may run; linear patterns take microseconds.
    static let probeTimeLimit: TimeInterval = 0.05

    /// Runs `regex` over short repetitive inputs (each character of the pattern and a few
    /// representatives, repeated 40 times, then a character that may make the match fail) and returns
    /// the first input on which it runs past `probeTimeLimit`, or nil. Exponential backtracking, as in
    /// `(a+)+$` on "aaaa…!", shows up on such inputs long before real text triggers it.
    /// - Complexity: a few hundred matches of 41 characters; well under a millisecond for linear patterns.
    static func backtrackingProbe(_ regex: NSRegularExpression, pattern: String) -> String? {
        var chars: [Character] = []
        for c in "aA1 \n\t'.é中" + pattern where !chars.contains(c) {
            chars.append(c)
            if chars.count >= 64 { break }
        }
        let suffixes: [Character] = ["!", "\u{0}", "1", "a", " "]
        for c in chars {
            let run = String(repeating: c, count: 40)
            for suffix in suffixes where suffix != c {
                let probe = run + String(suffix)
                let scalars = probe.unicodeScalars.map(\.value)
                // A timeout gets a second try at four times the limit, so a busy machine's scheduling
                // hiccup does not reject a linear pattern; exponential backtracking takes far longer.
                if regexMatches(regex, in: scalars, timeLimit: probeTimeLimit).timedOut,
                   regexMatches(regex, in: scalars, timeLimit: 4 * probeTimeLimit).timedOut {
                    return probe
                }
            }
        }
        return nil
    }

    /// The non-overlapping matches, left to right, as scalar index ranges.
    func matches(in s: [UInt32]) -> [Range<Int>] {
        switch self {
        case .gpt2: return Self.scan(s, Self.gpt2Match)
        case .llama3: return Self.scan(s) { Self.llamaMatch($0, $1, maxDigits: 3) }
        case .qwen2: return Self.scan(s) { Self.llamaMatch($0, $1, maxDigits: 1) }
        case .literal(let lit): return Self.literalMatches(lit, in: s)
        case .regex(let box): return Self.regexMatches(box.regex, in: s, timeLimit: Self.timeLimit(s.count)).ranges
        }
    }

    // MARK: - Scanners

    /// Runs a scanner that matches at every position (the three known regexes always match).
    private static func scan(_ s: [UInt32], _ match: ([UInt32], Int) -> Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(s.count / 3 + 1)
        var i = 0
        while i < s.count {
            let end = match(s, i)
            out.append(i..<end)
            i = end
        }
        return out
    }

    @inline(__always)
    private static func run(_ s: [UInt32], from i: Int, _ cls: UInt8) -> Int {
        var j = i
        while j < s.count, CharClass.scanClass(s[j]) == cls { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at a whitespace position.
    @inline(__always)
    private static func whitespaceMatch(_ s: [UInt32], _ i: Int) -> Int {
        let j = run(s, from: i, CharClass.space)
        if j == s.count { return j }
        return j - 1 > i ? j - 1 : j
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    static func gpt2Match(_ s: [UInt32], _ i: Int) -> Int {
        let n = s.count
        let c = s[i]
        if c == 0x27, i + 1 < n {
            switch s[i + 1] {
            case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
            case 0x72 where i + 2 < n && s[i + 2] == 0x65: return i + 3  // re
            case 0x76 where i + 2 < n && s[i + 2] == 0x65: return i + 3  // ve
            case 0x6C where i + 2 < n && s[i + 2] == 0x6C: return i + 3  // ll
            default: break
            }
        }
        let cls = CharClass.scanClass(c)
        if c == 0x20, i + 1 < n {
            let next = CharClass.scanClass(s[i + 1])
            if next != CharClass.space { return run(s, from: i + 1, next) }
        }
        if cls != CharClass.space { return run(s, from: i, cls) }
        return whitespaceMatch(s, i)
    }

    @inline(__always)
    private static func isCRLF(_ v: UInt32) -> Bool { v == 0x0A || v == 0x0D }

    /// Case-insensitive contraction letter test for `(?i:...)` (Oniguruma folds U+017F to "s").
    @inline(__always)
    private static func foldsTo(_ v: UInt32, _ lower: UInt32) -> Bool {
        v == lower || v == lower - 0x20 || (lower == 0x73 && v == 0x17F)
    }

    /// Llama-3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*`
    /// `|\s*[\r\n]+|\s+(?!\S)|\s+`
    static func llamaMatch(_ s: [UInt32], _ i: Int, maxDigits: Int) -> Int {
        let n = s.count
        let c = s[i]
        if c == 0x27, i + 1 < n {
            let c1 = s[i + 1]
            if foldsTo(c1, 0x73) || foldsTo(c1, 0x74) || foldsTo(c1, 0x6D) || foldsTo(c1, 0x64) { return i + 2 }
            if i + 2 < n {
                let c2 = s[i + 2]
                if (foldsTo(c1, 0x72) || foldsTo(c1, 0x76)) && foldsTo(c2, 0x65) { return i + 3 }
                if foldsTo(c1, 0x6C) && foldsTo(c2, 0x6C) { return i + 3 }
            }
        }
        let cls = CharClass.scanClass(c)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if cls == CharClass.letter { return run(s, from: i, CharClass.letter) }
        if cls != CharClass.number, !isCRLF(c), i + 1 < n, CharClass.scanClass(s[i + 1]) == CharClass.letter {
            return run(s, from: i + 1, CharClass.letter)
        }
        // \p{N}{1,maxDigits}
        if cls == CharClass.number {
            var j = i + 1
            while j < n, j - i < maxDigits, CharClass.scanClass(s[j]) == CharClass.number { j += 1 }
            return j
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        var start = -1
        if cls == CharClass.other {
            start = i
        } else if c == 0x20, i + 1 < n, CharClass.scanClass(s[i + 1]) == CharClass.other {
            start = i + 1
        }
        if start >= 0 {
            var j = run(s, from: start, CharClass.other)
            while j < n, isCRLF(s[j]) { j += 1 }
            return j
        }
        // \s*[\r\n]+ : up to and including the last CR/LF of the whitespace run.
        let j = run(s, from: i, CharClass.space)
        var k = j - 1
        while k >= i, !isCRLF(s[k]) { k -= 1 }
        if k >= i { return k + 1 }
        return whitespaceMatch(s, i)
    }

    // MARK: - Literal and regex

    private static func literalMatches(_ lit: [UInt32], in s: [UInt32]) -> [Range<Int>] {
        guard !lit.isEmpty, lit.count <= s.count else { return [] }
        var out: [Range<Int>] = []
        var i = 0
        let first = lit[0]
        while i + lit.count <= s.count {
            if s[i] == first, s[i..<i + lit.count].elementsEqual(lit) {
                out.append(i..<i + lit.count)
                i += lit.count
            } else {
                i += 1
            }
        }
        return out
    }

    /// The time a regex may take over `n` scalars when encoding: one second plus 2 µs a scalar
    /// (linear patterns run at well over 10 MB/s). Patterns that backtrack catastrophically on simple
    /// inputs are rejected when loading; this bounds the rest.
    static func timeLimit(_ n: Int) -> TimeInterval { 1 + 2e-6 * Double(n) }

    /// The matches of `regex` in `s`, stopping at `timeLimit` seconds (ICU calls the progress block
    /// while it backtracks, so a runaway match is stopped too). After a timeout, the matches found so
    /// far are returned and the rest of `s` is left unmatched.
    static func regexMatches(_ regex: NSRegularExpression, in s: [UInt32],
                             timeLimit: TimeInterval) -> (ranges: [Range<Int>], timedOut: Bool) {
        var str = String.UnicodeScalarView()
        // UTF-16 offset -> scalar index.
        var utf16ToScalar: [Int] = []
        utf16ToScalar.reserveCapacity(s.count + 1)
        for (idx, v) in s.enumerated() {
            let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
            str.append(scalar)
            utf16ToScalar.append(idx)
            if scalar.value > 0xFFFF { utf16ToScalar.append(idx) }
        }
        utf16ToScalar.append(s.count)
        let string = String(str)
        let ns = NSRange(location: 0, length: utf16ToScalar.count - 1)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeLimit * 1e9)
        var out: [Range<Int>] = []
        var timedOut = false
        regex.enumerateMatches(in: string, options: [.reportProgress], range: ns) { m, _, stop in
            if let m {
                let a = m.range.location, b = m.range.location + m.range.length
                if a != NSNotFound, a < utf16ToScalar.count, b < utf16ToScalar.count {
                    out.append(utf16ToScalar[a]..<utf16ToScalar[b])
                }
            }
            if DispatchTime.now().uptimeNanoseconds > deadline {
                timedOut = true
                stop.pointee = true
            }
        }
        return (out, timedOut)
    }
}
