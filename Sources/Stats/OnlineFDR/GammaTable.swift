import Foundation

/// A gamma (or LOND beta) sequence with its values cached by index, checked as they are made.
///
/// Each default term is computed with the same operations, in the same order, as PyPI online-fdr
/// (so test levels agree bit for bit with the reference fixtures). Up to `cacheLimit` terms are
/// kept; later ones are computed on each use.
struct GammaTable {
    /// How a term is made.
    enum Source {
        /// (c / j^1.6)·scale.
        case saffron(scale: Double)
        /// (c·log(max(j, 2))) / (j·e^√(log j)), as online-fdr's LORD sequence.
        case lord
        /// (c·scale)·(log(max(j, 2)) / (j·e^√(log j))), as online-fdr's LOND sequence.
        case lond(scale: Double)
        /// Explicit terms, zero after the list.
        case list([Double])
        /// A user closure.
        case custom(@Sendable (Int) -> Double)
    }

    /// The most terms kept in the cache (32 MiB of doubles).
    static let cacheLimit = 1 << 22

    private let source: Source
    /// The bound on the partial sums (1 for gamma, alpha for a LOND beta).
    private let sumLimit: Double
    /// Who owns the sequence, for error messages ("Saffron: gamma ...").
    private let owner: String
    private let name: String
    /// values[j - 1] = term j, for j ≤ values.count.
    private(set) var values: [Double] = []
    private let isList: Bool
    private var partialSum = 0.0
    private var lastTerm: Double?

    /// Makes the table for a public sequence, checking an explicit list at once.
    ///
    /// - Parameters:
    ///   - sequence: The sequence.
    ///   - lordForm: How `.lordDefault` is evaluated (`.lord`, or `.lond(scale:)` for LOND and e-LOND).
    ///   - saffronScale: The factor applied to `.saffronDefault` (alpha for a LOND beta).
    ///   - sumLimit: The bound on Σ terms.
    ///   - owner: The procedure's name for messages.
    ///   - name: The parameter's name for messages.
    /// - Throws: `StatsError.invalidArgument` for a list with a negative, non-finite or increasing
    ///   term or a sum above `sumLimit`.
    init(_ sequence: GammaSequence, lordForm: Source = .lord, saffronScale: Double = 1, sumLimit: Double = 1,
         owner: String, name: String = "gamma") throws {
        switch sequence {
        case .saffronDefault: self.init(source: .saffron(scale: saffronScale), sumLimit: sumLimit, owner: owner, name: name)
        case .lordDefault: self.init(source: lordForm, sumLimit: sumLimit, owner: owner, name: name)
        case .list(let list): try self.init(list: list, sumLimit: sumLimit, owner: owner, name: name)
        case .custom(let f): self.init(source: .custom(f), sumLimit: sumLimit, owner: owner, name: name)
        }
    }

    /// Makes the table for a built-in source (not checked: the defaults are valid).
    init(source: Source, sumLimit: Double = 1, owner: String, name: String = "gamma") {
        self.source = source
        self.sumLimit = sumLimit
        self.owner = owner
        self.name = name
        self.isList = false
    }

    private init(list: [Double], sumLimit: Double, owner: String, name: String) throws {
        self.source = .list(list)
        self.sumLimit = sumLimit
        self.owner = owner
        self.name = name
        self.isList = true
        for (i, v) in list.enumerated() { try admit(v, at: i + 1) }
        values = list
    }

    /// Checks term j (finite, ≥ 0, ≤ the previous term, partial sum within the limit) and adds it
    /// to the running sum.
    private mutating func admit(_ v: Double, at j: Int) throws {
        guard v.isFinite, v >= 0 else {
            throw StatsError.invalidArgument("\(owner): \(name)[\(j)] must be a finite number ≥ 0, got \(v)")
        }
        if let previous = lastTerm, v > previous {
            throw StatsError.invalidArgument(
                "\(owner): \(name) must be non-increasing, but \(name)[\(j)] = \(v) > \(name)[\(j - 1)] = \(previous)")
        }
        lastTerm = v
        partialSum += v
        if partialSum > sumLimit * (1 + 1e-12) {
            throw StatsError.invalidArgument(
                "\(owner): the terms of \(name) must sum to at most \(sumLimit), but \(name)[1...\(j)] sums to \(partialSum)")
        }
    }

    /// Term j (j ≥ 1), computed raw.
    private func compute(_ j: Int) -> Double {
        switch source {
        case .saffron(let scale):
            return GammaSequence.saffronConstant / pow(Double(j), 1.6) * scale
        case .lord:
            let x = Double(j)
            return GammaSequence.lordConstant * log(Double(max(j, 2))) / (x * exp(sqrt(log(x))))
        case .lond(let scale):
            let x = Double(j)
            return GammaSequence.lordConstant * scale * (log(Double(max(j, 2))) / (x * exp(sqrt(log(x)))))
        case .list(let list):
            return j <= list.count ? list[j - 1] : 0
        case .custom(let f):
            return f(j)
        }
    }

    /// Returns term j (j ≥ 1), filling the cache up to j first.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom closure yields an invalid term.
    /// - Complexity: amortised O(1) while j ≤ `cacheLimit`.
    @inline(__always)
    mutating func value(_ j: Int) throws -> Double {
        if j <= values.count { return values[j - 1] }
        return try slowValue(j)
    }

    private mutating func slowValue(_ j: Int) throws -> Double {
        if isList { return 0 }
        if j > GammaTable.cacheLimit {
            let v = compute(j)
            if case .custom = source, !(v.isFinite && v >= 0) {
                throw StatsError.invalidArgument("\(owner): \(name)[\(j)] must be a finite number ≥ 0, got \(v)")
            }
            return v
        }
        while values.count < j {
            let k = values.count + 1
            let v = compute(k)
            if case .custom = source { try admit(v, at: k) }
            values.append(v)
        }
        return values[j - 1]
    }

    /// Σ_i γ(offset − marks[i]) over marks[from...], added left to right to `start` (the order of the
    /// reference's `sum()`, so results agree bit for bit). Marks are non-decreasing and < offset.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom closure yields an invalid term.
    /// - Complexity: O(marks.count − from) once the terms are cached.
    mutating func sum(offset: Int, marks: [Int], from: Int = 0, start: Double = 0) throws -> Double {
        guard from < marks.count else { return start }
        let largest = offset - marks[from]
        try fill(through: largest)
        var total = start
        if largest <= values.count {
            values.withUnsafeBufferPointer { table in
                marks.withUnsafeBufferPointer { m in
                    for i in from..<m.count { total += table[offset - m[i] - 1] }
                }
            }
        } else {
            for i in from..<marks.count { total += try value(offset - marks[i]) }
        }
        return total
    }

    /// Makes sure terms 1...j are cached (and checked), so that `value` takes the fast path.
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom closure yields an invalid term.
    mutating func fill(through j: Int) throws {
        if j > values.count, !isList { _ = try slowValue(min(j, GammaTable.cacheLimit)) }
    }
}
