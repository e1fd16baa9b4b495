// Custom gamma sequences: explicit lists (zero after the end) and closures, checked for
// non-negativity, monotonicity and Σγ ≤ 1.

import Foundation
import Stats
import Testing

@Suite("Online FDR: gamma sequences")
struct OnlineFDRGammaTests {
    static let stream: [Double] = {
        var rng = SeededRNG(seed: 99)
        return SimulatedStream.pValues(1500, pi1: 0.2, mu: 3, rng: &rng).p
    }()

    static func levels(_ m: any OnlineFDRProcedure, _ ps: [Double] = stream) throws -> [Double] {
        try ps.map { try m.testOne($0).alpha }
    }

    @Test("a list or closure holding the default terms reproduces the default procedure")
    func sameAsDefault() throws {
        let saffron = (1...3000).map { 0.4374901658 / pow(Double($0), 1.6) }
        let lord = (1...3000).map { 0.07720838 * log(Double(max($0, 2))) / (Double($0) * exp(sqrt(log(Double($0))))) }
        let saffronClosure: @Sendable (Int) -> Double = { 0.4374901658 / pow(Double($0), 1.6) }
        let base = try Self.levels(Saffron())
        #expect(try Self.levels(Saffron(gamma: .list(saffron))) == base)
        #expect(try Self.levels(Saffron(gamma: .custom(saffronClosure))) == base)
        #expect(try Self.levels(Addis(gamma: .list(saffron))) == Self.levels(Addis()))
        #expect(try Self.levels(AlphaInvesting(gamma: .custom(saffronClosure))) == Self.levels(AlphaInvesting()))
        #expect(try Self.levels(LordPlusPlus(gamma: .list(lord))) == Self.levels(LordPlusPlus()))
        // LOND's beta = alpha × gamma; e-LOND's level = alpha·gamma_t·(R + 1).
        let lond = try Self.levels(Lond())
        let lond2 = try Self.levels(Lond(beta: .list(lord.map { 0.05 * $0 })))
        #expect(zip(lond, lond2).allSatisfy { OnlineFDRFixtures.close($0.1, $0.0) })
        #expect(try Self.levels(Lond(beta: .lordDefault)) == lond)
        let e1 = try ELond(), e2 = try ELond(gamma: .list(lord))
        for e in [0.5, 30, 2, 100, 1] {
            let (a, b) = (try e1.testOne(e: e), try e2.testOne(e: e))
            #expect(a.rejected == b.rejected && OnlineFDRFixtures.close(b.alpha, a.alpha))
        }
    }

    @Test("terms after the end of a list are zero; ADDIS reads the list from its first term")
    func listTail() throws {
        let l = try LordPlusPlus(alpha: 0.1, w0: 0.04, gamma: .list([0.5, 0.25]))
        #expect(try l.testOne(0.5).alpha == 0.04 * 0.5)
        #expect(try l.testOne(0.5).alpha == 0.04 * 0.25)
        #expect(try l.testOne(0.5).alpha == 0)
        #expect(try l.testOne(0).rejected)                       // p = 0 ≤ 0
        #expect(try l.nextAlpha() == (0.1 - 0.04) * 0.5)         // (alpha − W0)·γ_1 after the first rejection
        let a = try Addis(alpha: 0.1, w0: 0.04, lambda: 0.2, tau: 0.6, gamma: .list([0.5, 0.25]))
        #expect(abs(try a.testOne(0.9).alpha - 0.4 * 0.04 * 0.5) <= 1e-18)   // index 0 → γ_1
        #expect(abs(try a.testOne(0.3).alpha - 0.4 * 0.04 * 0.5) <= 1e-18)   // p > τ did not age it
        #expect(abs(try a.testOne(0.3).alpha - 0.4 * 0.04 * 0.25) <= 1e-18)
        #expect(try a.testOne(0.3).alpha == 0)
        let s = try Saffron(gamma: .list([]))
        #expect(try s.testOne(0).alpha == 0)
    }

    @Test("invalid lists throw at init")
    func invalidLists() throws {
        func message(_ g: GammaSequence) -> String? { invalidArgumentMessage { _ = try Saffron(gamma: g) } }
        #expect(message(.list([0.5, -0.1]))?.contains("gamma[2] must be a finite number ≥ 0") == true)
        #expect(message(.list([0.5, .nan])) != nil)
        #expect(message(.list([0.5, .infinity])) != nil)
        #expect(message(.list([0.2, 0.3]))?.contains("non-increasing") == true)
        #expect(message(.list([0.6, 0.5]))?.contains("sum to at most 1") == true)
        #expect(invalidArgumentMessage { _ = try LordPlusPlus(gamma: .list([0.6, 0.6])) } != nil)
        #expect(invalidArgumentMessage { _ = try Addis(gamma: .list([2])) } != nil)
        #expect(invalidArgumentMessage { _ = try AlphaInvesting(gamma: .list([1, 0.1])) } != nil)
        #expect(invalidArgumentMessage { _ = try ELond(gamma: .list([1, 0.1])) } != nil)
        // LOND's beta is bounded by alpha (R's betai).
        #expect(invalidArgumentMessage { _ = try Lond(alpha: 0.05, beta: .list([0.04, 0.02])) }?
            .contains("beta") == true)
        _ = try Lond(alpha: 0.05, beta: .list([0.03, 0.02]))
        _ = try Saffron(gamma: .list([0.5, 0.5]))
    }

    @Test("a closure is checked as it is used: the test needing a bad term throws, state unchanged")
    func closureChecked() throws {
        let negativeAt3: @Sendable (Int) -> Double = { $0 == 3 ? -1 : 0.1 / Double($0) }
        let s = try Saffron(gamma: .custom(negativeAt3))
        _ = try s.testOne(0.9)
        _ = try s.testOne(0.9)
        #expect(invalidArgumentMessage { _ = try s.testOne(0.9) }?.contains("gamma[3]") == true)
        #expect(s.state.t == 2)

        let increasing: @Sendable (Int) -> Double = { 0.01 * Double($0) }
        let l = try LordPlusPlus(gamma: .custom(increasing))
        _ = try l.testOne(0.5)
        #expect(invalidArgumentMessage { _ = try l.testOne(0.5) }?.contains("non-increasing") == true)

        let tooBig: @Sendable (Int) -> Double = { _ in 0.3 }
        let a = try AlphaInvesting(gamma: .custom(tooBig))
        var message: String?
        for _ in 0..<5 where message == nil { message = invalidArgumentMessage { _ = try a.testOne(0.9) } }
        #expect(message?.contains("sum to at most 1") == true)
        #expect(a.state.t == 3)

        // A valid closure: each index evaluated once (cached).
        let calls = Counter()
        let counted: @Sendable (Int) -> Double = { j in calls.bump(); return 0.5 / pow(Double(j), 2) }
        let c = try LordPlusPlus(alpha: 0.1, w0: 0.05, gamma: .custom(counted))
        for p in Self.stream.prefix(300) { _ = try c.testOne(p) }
        #expect(calls.value == 300)
    }
}

/// A thread-safe call counter for `@Sendable` closures.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func bump() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
