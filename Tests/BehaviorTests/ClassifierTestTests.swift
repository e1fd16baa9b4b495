import Foundation
import Stats
import Testing
@testable import Behavior

func gaussianRows(_ n: Int, _ d: Int, shift: Double, seed: UInt64) -> FloatMatrix {
    var g = SeededGenerator(seed: seed)
    let v = (0..<(n * d)).map { _ in Float((-2 * log(g.nextOpenDouble())).squareRoot() * cos(2 * Double.pi * g.nextDouble()) + shift) }
    return try! FloatMatrix(v, rows: n, cols: d)
}

@Suite struct ClassifierTestTests {
    @Test func shiftedMeansAreDetected() throws {
        var o = ClassifierTestOptions()
        o.permutations = 99
        let r = try ClassifierTest.run(gaussianRows(80, 6, shift: 0, seed: 1), gaussianRows(70, 6, shift: 1, seed: 2), o)
        #expect(r.pvalue == 1.0 / 100)
        #expect(r.accuracy > 0.85 && r.auc > 0.9)
        #expect((r.nA, r.nB, r.permutations) == (80, 70, 99))
    }

    @Test func identicalDistributionsAreRarelyRejected() throws {
        var o = ClassifierTestOptions()
        o.permutations = 99
        var rejections = 0
        var ps: [Double] = []
        for s in 0..<20 {
            o.seed = UInt64(s)
            let r = try ClassifierTest.run(gaussianRows(50, 4, shift: 0, seed: UInt64(100 + 2 * s)),
                                           gaussianRows(50, 4, shift: 0, seed: UInt64(101 + 2 * s)), o)
            ps.append(r.pvalue)
            if r.pvalue <= 0.05 { rejections += 1 }
            if s == 0 { #expect(r.pvalue > 0.05) }
        }
        #expect(rejections <= 4, "p-values \(ps)")
        // Not piled up at one end either.
        #expect(ps.filter { $0 > 0.5 }.count >= 5)
    }

    @Test func seededAndDeterministic() throws {
        var o = ClassifierTestOptions()
        o.permutations = 30
        o.seed = 4
        let a = gaussianRows(30, 3, shift: 0, seed: 8), b = gaussianRows(30, 3, shift: 0.3, seed: 9)
        let r1 = try ClassifierTest.run(a, b, o), r2 = try ClassifierTest.run(a, b, o)
        #expect(r1.pvalue == r2.pvalue && r1.accuracy == r2.accuracy && r1.auc == r2.auc)
    }

    @Test func logisticFitSolvesTheStationaryEquations() {
        // At the optimum, X'(σ(s) − t) + λw = 0 and Σ(σ(s) − t) = 0.
        let x = gaussianRows(40, 3, shift: 0, seed: 3)
        let xs = x.values.map { Double($0) }
        let labels = (0..<40).map { i in Double(x.values[i * 3]) + 0.5 * Double(x.values[i * 3 + 1]) > 0.2 }
        let (w, b) = xs.withUnsafeBufferPointer { ClassifierTest.fitLogistic($0.baseAddress!, d: 3, rows: Array(0..<40), labels: labels, l2: 0.5) }
        var grad = [0.0, 0, 0, 0]
        for i in 0..<40 {
            var s = b
            for j in 0..<3 { s += w[j] * xs[i * 3 + j] }
            let r = 1 / (1 + exp(-s)) - (labels[i] ? 1 : 0)
            for j in 0..<3 { grad[j] += r * xs[i * 3 + j] }
            grad[3] += r
        }
        for j in 0..<3 { grad[j] += 0.5 * w[j] }
        #expect(grad.allSatisfy { abs($0) < 1e-4 }, "\(grad)")
    }

    @Test func aucByRanks() {
        #expect(ClassifierTest.auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]) == 0.75)
        #expect(ClassifierTest.auc([1, 1], [false, true]) == 0.5)
    }

    @Test func badInputs() {
        #expect(throws: BehaviorError.self) { try ClassifierTest.run(gaussianRows(10, 3, shift: 0, seed: 1), gaussianRows(10, 4, shift: 0, seed: 1)) }
        #expect(throws: BehaviorError.self) { try ClassifierTest.run(gaussianRows(3, 3, shift: 0, seed: 1), gaussianRows(10, 3, shift: 0, seed: 1)) }
    }
}
