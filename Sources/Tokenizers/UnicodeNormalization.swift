// Unicode normalization forms (NFD, NFKD, NFC, NFKC) as HF's Unicode 9.0 normalization crate computes them.

import Foundation

/// NFD, NFKD, NFC and NFKC over scalar values, matching `unicode-normalization-alignments` (Unicode 9.0).
///
/// Foundation's whole-string normalization is not used directly: on Linux it leaves `LV + T` Hangul
/// uncomposed (U+C5B4 U+11A8 stays two scalars), misorders marks after multi-level decompositions
/// (U+0F77 U+1B44) and does not compose already-composed input (U+0CCA U+0CD5 stays two scalars).
/// Instead this module decomposes one scalar at a time (Foundation gets single scalars right), orders
/// marks by canonical combining class, and composes pair by pair, with Hangul done algorithmically.
/// Characters assigned after Unicode 9.0 are left alone, as HF leaves them.
enum UnicodeNormalization {
    static func nfd(_ s: [UInt32]) -> [UInt32] { decompose(s, compatibility: false) }
    static func nfkd(_ s: [UInt32]) -> [UInt32] { decompose(s, compatibility: true) }
    static func nfc(_ s: [UInt32]) -> [UInt32] { compose(decompose(s, compatibility: false)) }
    static func nfkc(_ s: [UInt32]) -> [UInt32] { compose(decompose(s, compatibility: true)) }

    // MARK: - Hangul

    private static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
    private static let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
    private static let nCount = vCount * tCount, sCount = lCount * vCount * tCount

    // MARK: - Properties

    /// Whether HF's normalization data (Unicode 9.0) knows the scalar.
    @inline(__always)
    static func known(_ v: UInt32) -> Bool {
        if v < 0x80 { return true }
        guard let u = Unicode.Scalar(v) else { return false }
        return CharClass.assigned(u.properties, in: CharClass.normalizationVersion)
    }

    /// The canonical combining class (0 for characters HF's data does not know).
    @inline(__always)
    static func combiningClass(_ v: UInt32) -> UInt8 {
        if v < 0x300 { return 0 }
        guard let u = Unicode.Scalar(v), CharClass.assigned(u.properties, in: CharClass.normalizationVersion) else {
            return 0
        }
        return u.properties.canonicalCombiningClass.rawValue
    }

    // MARK: - Decomposition

    /// Full decomposition followed by canonical ordering.
    static func decompose(_ s: [UInt32], compatibility: Bool) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(s.count + 8)
        let limit: UInt32 = compatibility ? 0xA0 : 0xC0  // nothing below decomposes
        for v in s {
            if v < limit {
                out.append(v)
            } else if v >= sBase, v < sBase + sCount {
                let i = v - sBase
                out.append(lBase + i / nCount)
                out.append(vBase + (i % nCount) / tCount)
                if i % tCount != 0 { out.append(tBase + i % tCount) }
            } else {
                out.append(contentsOf: NormalizationCache.shared.decomposition(v, compatibility: compatibility))
            }
        }
        reorder(&out)
        return out
    }

    /// Stable-sorts every run of non-starters by combining class.
    private static func reorder(_ s: inout [UInt32]) {
        var i = 0
        while i < s.count {
            if s[i] < 0x300 || combiningClass(s[i]) == 0 { i += 1; continue }
            var j = i
            while j < s.count, s[j] >= 0x300, combiningClass(s[j]) != 0 { j += 1 }
            if j - i > 1 {
                let sorted = s[i..<j].enumerated().sorted {
                    let a = combiningClass($0.element), b = combiningClass($1.element)
                    return a != b ? a < b : $0.offset < $1.offset
                }.map(\.element)
                s.replaceSubrange(i..<j, with: sorted)
            }
            i = j
        }
    }

    /// Decomposes one scalar with Foundation (correct for single scalars), or keeps it when HF's data
    /// does not know it.
    fileprivate static func decomposeScalar(_ v: UInt32, compatibility: Bool) -> [UInt32] {
        guard known(v), let u = Unicode.Scalar(v) else { return [v] }
        let s = String(String.UnicodeScalarView([u]))
        let d = compatibility ? s.decomposedStringWithCompatibilityMapping : s.decomposedStringWithCanonicalMapping
        return d.unicodeScalars.map(\.value)
    }

    // MARK: - Composition

    /// Canonical composition of a decomposed, canonically ordered string.
    static func compose(_ s: [UInt32]) -> [UInt32] {
        guard !s.isEmpty else { return s }
        if s.allSatisfy({ $0 < 0x300 }) {
            return s  // nothing below U+0300 combines with anything (Hangul jamo are above)
        }
        var out: [UInt32] = []
        out.reserveCapacity(s.count)
        var starter = -1
        var lastClass: Int = 256
        for ch in s {
            let cc = Int(combiningClass(ch))
            if starter >= 0, lastClass < cc || lastClass == 0, let c = composite(out[starter], ch) {
                out[starter] = c
                continue
            }
            if cc == 0 {
                starter = out.count
            }
            lastClass = cc
            out.append(ch)
        }
        return out
    }

    /// The primary composite of two scalars, if any.
    private static func composite(_ a: UInt32, _ b: UInt32) -> UInt32? {
        // Hangul L + V and LV + T.
        if a >= lBase, a < lBase + lCount, b >= vBase, b < vBase + vCount {
            return sBase + ((a - lBase) * vCount + (b - vBase)) * tCount
        }
        if a >= sBase, a < sBase + sCount, (a - sBase) % tCount == 0, b > tBase, b < tBase + tCount {
            return a + (b - tBase)
        }
        return NormalizationCache.shared.composite(a, b)
    }

    /// Asks Foundation whether a pair composes to one scalar that HF's data also knows.
    ///
    /// Foundation composes reliably only from decomposed input, so it gets `NFD(a) + b`; the answer is
    /// kept only if it decomposes back to exactly that.
    fileprivate static func compositeScalar(_ a: UInt32, _ b: UInt32) -> UInt32? {
        guard known(a), known(b) else { return nil }
        let parts = NormalizationCache.shared.decomposition(a, compatibility: false) + [b]
        let s = string(parts).precomposedStringWithCanonicalMapping
        let r = Array(s.unicodeScalars)
        guard r.count == 1, known(r[0].value),
              NormalizationCache.shared.decomposition(r[0].value, compatibility: false) == parts else { return nil }
        return r[0].value
    }
}

/// Thread-safe memo tables for per-scalar decompositions and pair compositions.
final class NormalizationCache: @unchecked Sendable {
    static let shared = NormalizationCache()

    private let lock = NSLock()
    private var canonical: [UInt32: [UInt32]] = [:]
    private var compatibility: [UInt32: [UInt32]] = [:]
    private var pairs: [UInt64: UInt32] = [:]  // 0 = no composite

    func decomposition(_ v: UInt32, compatibility compat: Bool) -> [UInt32] {
        lock.lock()
        let hit = compat ? compatibility[v] : canonical[v]
        lock.unlock()
        if let hit { return hit }
        let d = UnicodeNormalization.decomposeScalar(v, compatibility: compat)
        lock.lock()
        if compat { compatibility[v] = d } else { canonical[v] = d }
        lock.unlock()
        return d
    }

    func composite(_ a: UInt32, _ b: UInt32) -> UInt32? {
        let key = UInt64(a) << 32 | UInt64(b)
        lock.lock()
        let hit = pairs[key]
        lock.unlock()
        if let hit { return hit == 0 ? nil : hit }
        let c = UnicodeNormalization.compositeScalar(a, b)
        lock.lock()
        pairs[key] = c ?? 0
        lock.unlock()
        return c
    }
}
