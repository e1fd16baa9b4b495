/// The running sum Σ_{j≥2} γ(offset − mark_j) over the rejections after the first, where a rejection's
/// mark is the value of the procedure's aging counter when it happened.
///
/// The sum is kept while the offset stays put (SAFFRON, ADDIS and alpha-investing only age on some
/// tests) and extended term by term when a rejection is added, so it always equals the reference's
/// left-to-right `sum()` bit for bit; it is recomputed in O(R) when the offset moves.
struct RejectionSum {
    private(set) var marks: [Int] = []
    private var offset = Int.min
    private var counted = 0
    private var total = 0.0

    /// Whether there are no rejections after the first.
    var isEmpty: Bool { marks.isEmpty }

    /// Records a rejection after the first.
    mutating func append(_ mark: Int) { marks.append(mark) }

    /// Returns Σ_j γ(offset − mark_j).
    ///
    /// - Throws: `StatsError.invalidArgument` when a custom gamma closure yields an invalid term.
    /// - Complexity: O(1) amortised while `offset` is unchanged, O(number of marks) when it moves.
    mutating func value(offset: Int, gamma: inout GammaTable) throws -> Double {
        if offset != self.offset {
            let sum = try gamma.sum(offset: offset, marks: marks)
            (self.offset, counted, total) = (offset, marks.count, sum)
        } else if counted < marks.count {
            total = try gamma.sum(offset: offset, marks: marks, from: counted, start: total)
            counted = marks.count
        }
        return total
    }
}
