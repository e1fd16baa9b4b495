// Online FDR procedures reproduce PyPI online-fdr 1.0.0 (fixtures from
// Scripts/dev/make_onlinefdr_fixtures.py): every alpha_t to 1e-12 and every decision, including
// p-values placed exactly on lambda, tau and alpha_t.

import Foundation
import Stats
import Testing

@Suite("Online FDR: reference parity")
struct OnlineFDRReferenceTests {
    @Test("the fixtures load and cover every procedure")
    func fixturesLoad() throws {
        #expect(OnlineFDRFixtures.streams != nil)
        #expect(OnlineFDRFixtures.cases.count >= 20)
        let methods = Set(OnlineFDRFixtures.cases.map(\.method))
        #expect(methods == ["saffron", "lordpp", "addis", "lond", "gai", "elond"])
        #expect(OnlineFDRFixtures.batch.count >= 5)
    }

    @Test("alpha_t and decisions equal online-fdr", arguments: OnlineFDRFixtures.cases)
    func parity(_ c: OnlineFDRFixtures.Case) throws {
        let values = OnlineFDRFixtures.values(c)
        #expect(values.count == c.alpha.count && c.decisions.count == c.alpha.count)
        let expected = c.decisions.map { $0 == "1" }
        var alphas: [Double] = [], decisions: [Bool] = []
        if c.isEValue {
            let m = try ELond(alpha: c.number("alpha"))
            for e in values {
                let r = try m.testOne(e: e)
                alphas.append(r.alpha)
                decisions.append(r.rejected)
            }
        } else {
            let m = try #require(try OnlineFDRFixtures.procedure(c))
            for p in values {
                let r = try m.testOne(p)
                alphas.append(r.alpha)
                decisions.append(r.rejected)
            }
            #expect(m.state.rejections == expected.filter { $0 }.count)
        }
        let firstAlpha = zip(alphas, c.alpha).enumerated().first { !OnlineFDRFixtures.close($0.element.0, $0.element.1) }
        #expect(firstAlpha == nil, "first alpha_t difference at t = \((firstAlpha?.offset ?? -2) + 1): \(firstAlpha.map { "\($0.element)" } ?? "")")
        let firstDecision = zip(decisions, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDecision == nil, "first decision difference at t = \((firstDecision?.offset ?? -2) + 1)")
        // Every planted boundary value is rejected (p = alpha_t, or e = 1/alpha_t).
        for o in c.overrides { #expect(decisions[Int(o[0])], "boundary value at index \(Int(o[0]))") }
    }
}
