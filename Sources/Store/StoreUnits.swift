import Foundation

/// Reads and writes the human forms of durations and sizes that `gc` limits are given in.
public enum StoreUnits {
    /// The accepted duration forms, for error messages.
    public static let durationForms = "a number followed by s, m, h, d or w (90s, 30m, 12h, 7d, 2w, 1.5d)"
    /// The accepted size forms, for error messages.
    public static let sizeForms = "a number of bytes, optionally followed by K, M, G or T (powers of 1024; 500K, 200M, 10G, 1.5T)"

    /// Returns the seconds a duration such as `"30m"`, `"12h"`, `"7d"` or `"2w"` stands for.
    ///
    /// The unit is required (`s`, `m`, `h`, `d`, `w`, lowercase); the number may have a fraction.
    /// - Parameter text: The duration.
    /// - Throws: ``StoreError`` with code `bad_value` naming the text and the accepted forms.
    /// - Returns: The duration in seconds, at least 0.
    public static func duration(_ text: String) throws -> TimeInterval {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = t.last, let scale = units[unit],
              let n = number(String(t.dropLast()))
        else {
            throw StoreError.badValue("'\(text)' is not a duration: use \(durationForms)")
        }
        return n * scale
    }

    /// Returns the bytes a size such as `"500K"`, `"200M"` or `"10G"` stands for.
    ///
    /// Units are binary and case-insensitive, with an optional `B` or `iB` after them (`10G`, `10GB`,
    /// `10GiB` are all 10·1024³); a bare number is bytes.
    /// - Parameter text: The size.
    /// - Throws: ``StoreError`` with code `bad_value` naming the text and the accepted forms.
    /// - Returns: The size in bytes, rounded down.
    public static func size(_ text: String) throws -> Int64 {
        var t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasSuffix("ib") { t.removeLast(2) } else if t.hasSuffix("b") { t.removeLast() }
        let scales: [Character: Double] = ["k": 1024, "m": 1_048_576, "g": 1_073_741_824, "t": 1_099_511_627_776]
        var scale = 1.0
        if let u = t.last, let s = scales[u] {
            scale = s
            t.removeLast()
        }
        guard let n = number(t), n * scale < 9.2e18 else {
            throw StoreError.badValue("'\(text)' is not a size: use \(sizeForms)")
        }
        return Int64((n * scale).rounded(.down))
    }

    /// A non-negative finite decimal number (digits with at most one point), or nil.
    private static func number(_ s: String) -> Double? {
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              s.filter({ $0 == "." }).count <= 1, s.contains(where: \.isNumber),
              let v = Double(s), v.isFinite
        else { return nil }
        return v
    }

    /// Returns a size for people: `"512 B"`, `"1.5 KiB"`, `"20.0 MiB"`, `"3.2 GiB"`.
    /// - Parameter bytes: The size in bytes.
    /// - Returns: The size with a binary unit and one decimal.
    public static func formatBytes(_ bytes: Int64) -> String {
        if Swift.abs(bytes) < 1024 { return "\(bytes) B" }
        var v = Double(bytes)
        for unit in ["KiB", "MiB", "GiB", "TiB"] {
            v /= 1024
            if Swift.abs(v) < 1024 || unit == "TiB" { return String(format: "%.1f", v) + " " + unit }
        }
        return "\(bytes) B"
    }
}
