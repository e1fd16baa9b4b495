import Testing
@testable import Behavior

@Suite struct LedgerTests {
    @Test func stepsKeepFirstUseOrderAndSum() {
        let l = Ledger()
        var a = LedgerCounts()
        a.samples = 3
        a.generatedTokens = 30
        a.prefillTokens = 12
        l.add("explore", a)
        var b = LedgerCounts()
        b.generatedTokens = 5
        b.seconds = 1.5
        l.add("validate", b)
        l.add("explore", b)
        #expect(l.steps.map(\.step) == ["explore", "validate"])
        #expect(l.steps[0].counts.generatedTokens == 35)
        #expect(l.total.generatedTokens == 40)
        #expect(l.total.computeTokens == 52)
        #expect(l.total.seconds == 3.0)
        #expect(l.exceeded() == nil)
    }

    @Test func budgetsStopAtTheirLimitAndRejectBadLimits() throws {
        let l = Ledger(budget: try Budget(generatedTokens: 10))
        var c = LedgerCounts()
        c.generatedTokens = 9
        l.add("s", c)
        #expect(throws: Never.self) { try l.check(step: "s") }
        c.generatedTokens = 1
        l.add("s", c)
        #expect(l.exceeded() == "generated tokens 10 reached the budget of 10")
        #expect(throws: BudgetExceeded.self) { try l.check(step: "s") }
        #expect(throws: BehaviorError.self) { try Budget(generatedTokens: 0) }
        #expect(throws: BehaviorError.self) { try Budget(seconds: .infinity) }
        #expect(throws: BehaviorError.self) { try Budget(forwardTokens: -3) }
        let f = Ledger(budget: try Budget(forwardTokens: 5))
        var p = LedgerCounts()
        p.prefillTokens = 5
        f.add("screen", p)
        #expect(f.exceeded()?.contains("forward tokens 5") == true)
    }
}
