import Foundation
import Stats
import Testing

@Suite("Family-wise error: Holm and Bonferroni")
struct FamilywiseErrorTests {
    // statsmodels 0.15.0 multipletests(p, alpha=0.05, method=…) on these p-values.
    let p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04]

    @Test("adjusted values equal statsmodels'")
    func reference() throws {
        let holm = try FamilywiseError.adjust(p, method: .holm)
        let want = [0.06, 0.16, 0.15, 0.035, 0.4, 0.5, 0.16]
        for (a, b) in zip(holm.adjusted, want) { #expect(abs(a - b) <= 1e-15) }
        #expect(holm.rejected == [false, false, false, true, false, false, false])
        let bonf = try FamilywiseError.adjust(p, method: .bonferroni)
        let wantB = [0.07, 0.28, 0.21, 0.035, 1.0, 1.0, 0.28]
        for (a, b) in zip(bonf.adjusted, wantB) { #expect(abs(a - b) <= 1e-15) }
    }

    @Test("Holm never rejects fewer than Bonferroni; bad input is named")
    func properties() throws {
        var g = SeededGenerator(seed: 3)
        for _ in 0..<200 {
            let v = (0..<20).map { _ in pow(g.nextDouble(), 3) }
            let h = try FamilywiseError.adjust(v).adjusted, b = try FamilywiseError.adjust(v, method: .bonferroni).adjusted
            for (x, y) in zip(h, b) { #expect(x <= y) }
        }
        #expect(throws: StatsError.invalidArgument("FamilywiseError.adjust: p[1] must be a number in [0, 1], got 2.0")) {
            try FamilywiseError.adjust([0.1, 2])
        }
        #expect(try FamilywiseError.adjust([]).adjusted.isEmpty)
    }
}
