// Online FDR procedures: R onlineFDR defaults, parameter and input validation, state reporting.

import Foundation
import Stats
import Testing

@Suite("Online FDR: defaults and validation")
struct OnlineFDRValidationTests {
    @Test("defaults are R onlineFDR's")
    func defaults() throws {
        let s = try Saffron()
        #expect(s.alpha == 0.05 && s.w0 == 0.025 && s.lambda == 0.5)
        let l = try LordPlusPlus()
        #expect(l.alpha == 0.05 && l.w0 == 0.005)
        let a = try Addis()
        #expect(a.alpha == 0.05 && a.w0 == 0.025 && a.lambda == 0.25 && a.tau == 0.5)
        let d = try Lond()
        #expect(d.alpha == 0.05 && !d.dependent && d.original)
        let i = try AlphaInvesting()
        #expect(i.alpha == 0.05 && i.w0 == 0.025)
        #expect(try ELond().alpha == 0.05)
        #expect(try Saffron(alpha: 0.2).w0 == 0.1)
        #expect(try LordPlusPlus(alpha: 0.2).w0 == 0.02)

        // First levels from the formulas of the notes.
        let g1 = 0.4374901658, l1 = 0.07720838 * log(2.0)
        #expect(abs(try Saffron().testOne(1).alpha - 0.5 * g1 * 0.025) <= 1e-18)
        #expect(abs(try LordPlusPlus().testOne(1).alpha - 0.005 * l1) <= 1e-18)
        #expect(abs(try Addis().testOne(1).alpha - 0.25 * 0.025 * g1) <= 1e-18)
        #expect(abs(try Lond().testOne(1).alpha - 0.05 * l1) <= 1e-18)
        #expect(abs(try AlphaInvesting().testOne(1).alpha - g1 * 0.025 / (1 + g1 * 0.025)) <= 1e-18)
        #expect(abs(try ELond().testOne(e: 1).alpha - 0.05 * l1) <= 1e-18)
    }

    @Test("rejects iff p ≤ alpha_t; SAFFRON never rejects p > λ; ADDIS ages only on p in (λ, τ]")
    func decisionRule() throws {
        let s = try Saffron()
        let a1 = try s.nextAlpha()
        #expect(try s.testOne(a1).rejected)
        #expect(try !s.testOne(s.nextAlpha().nextUp).rejected)
        #expect(try s.testOne(0).rejected)
        let big = try Saffron(alpha: 0.9, w0: 0.9, lambda: 0.01)
        for _ in 0..<5 { _ = try big.testOne(0) }
        #expect(try big.nextAlpha() == 0.01)
        #expect(try !big.testOne(0.010000001).rejected)

        // Conservative nulls (p > τ) leave the ADDIS level unchanged; p in (λ, τ] lowers it.
        let addis = try Addis()
        let start = try addis.nextAlpha()
        for _ in 0..<10 { _ = try addis.testOne(0.9) }
        #expect(try addis.nextAlpha() == start)
        _ = try addis.testOne(0.3)
        #expect(try addis.nextAlpha() < start)
        // Candidates (p ≤ λ) freeze it too.
        let frozen = try addis.nextAlpha()
        _ = try addis.testOne(0.2)
        #expect(try addis.nextAlpha() == frozen)
    }

    @Test("state reports tests, rejections, wealth, FDP-hat and the last level")
    func state() throws {
        let s = try Saffron()
        #expect(s.state == OnlineFDRState(t: 0, rejections: 0, wealth: 0.025, fdpEstimate: 0, alpha: nil))
        let a1 = try s.testOne(0.9).alpha
        #expect(s.state.t == 1 && s.state.rejections == 0 && s.state.alpha == a1)
        #expect(abs(s.state.fdpEstimate! - a1 / 0.5) <= 1e-18)
        #expect(abs(s.state.wealth! - (0.025 - a1 / 0.5)) <= 1e-18)
        _ = try s.testOne(0)
        #expect(s.state.rejections == 1)
        #expect(abs(s.state.wealth! - (0.05 - a1 / 0.5)) <= 1e-17)

        let d = try Lond()
        _ = try d.testOne(0)
        #expect(d.state.wealth == nil && d.state.fdpEstimate != nil && d.state.rejections == 1)
        let e = try ELond()
        _ = try e.testOne(e: .infinity)
        #expect(e.state == OnlineFDRState(t: 1, rejections: 1, wealth: nil, fdpEstimate: nil, alpha: e.state.alpha))
        #expect(e.state.alpha != nil)
    }

    static let procedures: [@Sendable () throws -> any OnlineFDRProcedure] = [
        { try Saffron() }, { try LordPlusPlus() }, { try Addis() }, { try Lond() }, { try AlphaInvesting() },
    ]

    @Test("an invalid p-value throws a clear error and leaves the state unchanged")
    func invalidP() throws {
        for make in Self.procedures {
            let m = try make()
            _ = try m.testOne(0.3)
            let before = m.state
            for p in [Double.nan, -0.1, 1.1, -.infinity, .infinity] {
                let message = invalidArgumentMessage { _ = try m.testOne(p) }
                #expect(message?.contains("p-value must be a number in [0, 1]") == true, "p = \(p): \(message ?? "no error")")
            }
            #expect(m.state == before)
            _ = try m.testOne(1)
            _ = try m.testOne(0)
        }
        let e = try ELond()
        #expect(invalidArgumentMessage { _ = try e.testOne(e: .nan) }?.contains("e-value") == true)
        #expect(invalidArgumentMessage { _ = try e.testOne(e: -1) } != nil)
        #expect(e.state.t == 0)
        #expect(try e.testOne(e: .infinity).rejected)
        #expect(try !e.testOne(e: 0).rejected)
    }

    @Test("invalid parameters throw at init, naming the parameter")
    func invalidParameters() throws {
        func message(_ body: () throws -> Any) -> String? { invalidArgumentMessage { _ = try body() } }
        for alpha in [0.0, 1.0, -0.1, .nan] {
            #expect(message { try Saffron(alpha: alpha) }?.contains("Saffron: alpha") == true)
            #expect(message { try LordPlusPlus(alpha: alpha) }?.contains("LordPlusPlus: alpha") == true)
            #expect(message { try Addis(alpha: alpha) }?.contains("Addis: alpha") == true)
            #expect(message { try Lond(alpha: alpha) }?.contains("Lond: alpha") == true)
            #expect(message { try AlphaInvesting(alpha: alpha) }?.contains("AlphaInvesting: alpha") == true)
            #expect(message { try ELond(alpha: alpha) }?.contains("ELond: alpha") == true)
        }
        for w0 in [-0.01, 0.06, .nan] {
            #expect(message { try Saffron(w0: w0) }?.contains("w0") == true)
            #expect(message { try LordPlusPlus(w0: w0) }?.contains("w0") == true)
            #expect(message { try Addis(w0: w0) }?.contains("w0") == true)
            #expect(message { try AlphaInvesting(w0: w0) }?.contains("w0") == true)
        }
        // The papers (and R) allow 0 ≤ W0 ≤ alpha; alpha-investing needs W0 < alpha.
        _ = try Saffron(w0: 0.05)
        _ = try Saffron(w0: 0)
        _ = try LordPlusPlus(w0: 0.05)
        _ = try Addis(w0: 0)
        #expect(message { try AlphaInvesting(w0: 0.05) }?.contains("w0 must be in [0, alpha)") == true)
        for lambda in [0.0, 1.0, .nan] {
            #expect(message { try Saffron(lambda: lambda) }?.contains("lambda") == true)
        }
        #expect(message { try Addis(lambda: 0.5, tau: 0.5) }?.contains("lambda must be in [0, tau)") == true)
        #expect(message { try Addis(lambda: -0.1) }?.contains("lambda") == true)
        #expect(message { try Addis(tau: 0) }?.contains("tau") == true)
        #expect(message { try Addis(tau: 1.5) }?.contains("tau") == true)
        #expect(message { try Addis(tau: .nan) }?.contains("tau") == true)
        _ = try Addis(lambda: 0, tau: 1)
    }
}
