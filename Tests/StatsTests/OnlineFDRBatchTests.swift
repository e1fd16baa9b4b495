// BatchFDR.adjust: BH and BY equal scipy.stats.false_discovery_control; decisions equal online-fdr's
// step-up counts; Storey-BH uses the "+1" pi0 estimate.

import Foundation
import Stats
import Testing

@Suite("Online FDR: batch BH, BY and Storey")
struct OnlineFDRBatchTests {
    @Test("BH and BY adjusted p-values equal scipy; rejections equal online-fdr",
          arguments: OnlineFDRFixtures.batch)
    func scipyParity(_ v: OnlineFDRFixtures.BatchVector) throws {
        let bh = try BatchFDR.adjust(v.p, method: .bh, alpha: v.alpha)
        let by = try BatchFDR.adjust(v.p, method: .by, alpha: v.alpha)
        #expect(bh.adjusted.count == v.p.count && by.adjusted.count == v.p.count)
        for i in v.p.indices {
            #expect(OnlineFDRFixtures.close(bh.adjusted[i], v.bh[i]), "BH p[\(i)]: \(bh.adjusted[i]) vs \(v.bh[i])")
            #expect(OnlineFDRFixtures.close(by.adjusted[i], v.by[i]), "BY p[\(i)]: \(by.adjusted[i]) vs \(v.by[i])")
        }
        #expect(bh.rejected.filter { $0 }.count == v.bh_count)
        #expect(by.rejected.filter { $0 }.count == v.by_count)
        let storey = try BatchFDR.adjust(v.p, method: .storey(lambda: v.lambda), alpha: v.alpha)
        #expect(storey.rejected.filter { $0 }.count == v.storey_count)
    }

    @Test("Storey adjusted = BH adjusted × min(1, (1 + #{p > λ}) / (m(1 − λ)))")
    func storey() throws {
        let p = [0.001, 0.002, 0.004, 0.01, 0.02, 0.03, 0.2, 0.6, 0.7, 0.9]
        let bh = try BatchFDR.adjust(p)
        let st = try BatchFDR.adjust(p, method: .storey())
        let pi0 = (1.0 + 3) / (10 * 0.5)
        for i in p.indices { #expect(abs(st.adjusted[i] - bh.adjusted[i] * pi0) <= 1e-15) }
        #expect(st.rejected.filter { $0 }.count >= bh.rejected.filter { $0 }.count)
        // pi0 is capped at 1: all-null-looking data gives plain BH.
        let q = [0.6, 0.7, 0.8, 0.9, 0.01]
        #expect(try BatchFDR.adjust(q, method: .storey()).adjusted == BatchFDR.adjust(q).adjusted)
        // Decisions are adjusted ≤ alpha, in the input order.
        for i in p.indices { #expect(st.rejected[i] == (st.adjusted[i] <= 0.05)) }
    }

    @Test("empty input and invalid arguments")
    func validation() throws {
        let empty = try BatchFDR.adjust([])
        #expect(empty.rejected.isEmpty && empty.adjusted.isEmpty)
        #expect(invalidArgumentMessage { _ = try BatchFDR.adjust([0.1, .nan]) }?.contains("p[1]") == true)
        #expect(invalidArgumentMessage { _ = try BatchFDR.adjust([1.5]) } != nil)
        #expect(invalidArgumentMessage { _ = try BatchFDR.adjust([-0.1]) } != nil)
        #expect(invalidArgumentMessage { _ = try BatchFDR.adjust([0.1], alpha: 0) }?.contains("alpha") == true)
        #expect(invalidArgumentMessage { _ = try BatchFDR.adjust([0.1], alpha: 1) } != nil)
        #expect(invalidArgumentMessage { _ = try BatchFDR.adjust([0.1], method: .storey(lambda: 1)) }?
            .contains("lambda") == true)
        #expect(invalidArgumentMessage { _ = try BatchFDR.adjust([0.1], method: .storey(lambda: -0.1)) } != nil)
    }
}
