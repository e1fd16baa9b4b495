// Character-class predicates over Unicode scalar values, matching the definitions HF uses.

/// Classifies Unicode scalars the way Hugging Face `tokenizers` 0.19.1 (Rust, Oniguruma) does.
///
/// HF works on Rust `char`s, which are Unicode scalars, so everything here takes a scalar value.
/// Its parts use different Unicode versions, measured on every code point (see
/// `make_tokenizer_fixtures.py --unicode-tables`): Oniguruma's `\p{L}`/`\p{N}` know Unicode 14.0,
/// the Rust `regex` crate's `\w` 15.0, Rust's `char` methods 15.1, the normalization crate 9.0, and
/// the BERT components Unicode 9.0 tables (`UnicodeTables`). Characters assigned later are treated as
/// unassigned, as HF treats them.
enum CharClass {
    /// The Unicode versions of HF's components, as (major, minor).
    static let onigVersion = (14, 0), regexVersion = (15, 0), rustStdVersion = (15, 1), normalizationVersion = (9, 0)

    /// Whether a scalar was assigned in the given Unicode version.
    @inline(__always)
    static func assigned(_ p: Unicode.Scalar.Properties, in version: (Int, Int)) -> Bool {
        guard let a = p.age else { return false }
        return a.major < version.0 || (a.major == version.0 && a.minor <= version.1)
    }

    /// Scanner classes for the split regexes: other, letter (`\p{L}`), number (`\p{N}`), space (`\s`).
    static let other: UInt8 = 0, letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 3

    private static let asciiClass: [UInt8] = (0..<128).map { (v: Int) -> UInt8 in
        switch v {
        case 0x41...0x5A, 0x61...0x7A: letter
        case 0x30...0x39: number
        case 0x09...0x0D, 0x20: space
        default: other
        }
    }

    /// The scanner class of a scalar: `\s` (Oniguruma: White_Space), `\p{L}`, `\p{N}` or other.
    @inline(__always)
    static func scanClass(_ v: UInt32) -> UInt8 {
        if v < 0x80 { return asciiClass[Int(v)] }
        if isWhiteSpace(v) { return space }
        guard let s = Unicode.Scalar(v) else { return other }
        let p = s.properties
        let cls: UInt8
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: cls = letter
        case .decimalNumber, .letterNumber, .otherNumber: cls = number
        default: return other
        }
        return assigned(p, in: onigVersion) ? cls : other
    }

    /// Unicode White_Space: Rust `char::is_whitespace`, Rust regex `\s` and Oniguruma `\s`
    /// (0x09-0x0D, 0x85 and the Zs, Zl, Zp categories). 0x1C-0x1F are not whitespace.
    @inline(__always)
    static func isWhiteSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// Rust `char::is_numeric`: general categories Nd, Nl, No.
    static func isNumeric(_ v: UInt32) -> Bool {
        if v < 0x80 { return v >= 0x30 && v <= 0x39 }
        guard let s = Unicode.Scalar(v) else { return false }
        let p = s.properties
        switch p.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return assigned(p, in: rustStdVersion)
        default: return false
        }
    }

    /// Rust regex `\w` (Unicode): Alphabetic, marks, Nd, Pc and the join controls.
    static func isRegexWord(_ v: UInt32) -> Bool {
        if v < 0x80 {
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
        }
        if v == 0x200C || v == 0x200D { return true }
        guard let s = Unicode.Scalar(v) else { return false }
        let p = s.properties
        let word: Bool
        if p.isAlphabetic {
            word = true
        } else {
            switch p.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: word = true
            default: word = false
            }
        }
        return word && assigned(p, in: regexVersion)
    }

    /// HF's BERT punctuation test: ASCII punctuation or Unicode 9 punctuation (P*).
    static func isBertPunctuation(_ v: UInt32) -> Bool {
        switch v {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        case 0..<0x80: return false
        default: return inRanges(v, UnicodeTables.punctuation)
        }
    }

    /// What BertNormalizer's clean_text removes: Unicode 9 Cc, Cf or Co (not tab, newline or carriage
    /// return), NUL and U+FFFD.
    static func isBertControl(_ v: UInt32) -> Bool {
        inRanges(v, UnicodeTables.control)
    }

    /// Unicode 9 non-spacing mark (Mn), as used by BertNormalizer's accent stripping.
    static func isNonspacingMark9(_ v: UInt32) -> Bool {
        v >= 0x300 && inRanges(v, UnicodeTables.nonspacingMark)
    }

    /// A combining mark as the StripAccents normalizer sees it (Unicode 9 M*).
    static func isCombiningMark(_ v: UInt32) -> Bool {
        v >= 0x300 && inRanges(v, UnicodeTables.combiningMark)
    }

    /// The CJK ideograph blocks BertNormalizer pads with spaces.
    static func isChineseChar(_ v: UInt32) -> Bool {
        switch v {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: true
        default: false
        }
    }

    /// Binary search in sorted inclusive ranges.
    static func inRanges(_ v: UInt32, _ ranges: [(UInt32, UInt32)]) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let r = ranges[mid]
            if v < r.0 { hi = mid } else if v > r.1 { lo = mid + 1 } else { return true }
        }
        return false
    }
}
