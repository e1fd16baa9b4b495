import Foundation
import Testing
import TestSupport
@testable import Behavior

struct AssignmentFixture: Decodable {
    struct Case: Decodable {
        let name: String, maximize: Bool, cost: [[Double]], pairs: [[Int]], total: Double, unique: Bool
    }
    let cases: [Case]
}

@Suite struct LinearAssignmentTests {
    @Test func matchesScipy() throws {
        let url = Support.repoRoot.appendingPathComponent("Tests/Fixtures/behavior/assignment.json")
        let fx = try JSONDecoder().decode(AssignmentFixture.self, from: Data(contentsOf: url))
        #expect(fx.cases.count == 16)
        for c in fx.cases {
            let r = try LinearAssignment.solve(c.cost, maximize: c.maximize)
            #expect(abs(r.total - c.total) <= 1e-9 * max(1, abs(c.total)), "\(c.name) maximize \(c.maximize)")
            #expect(r.pairs.count == min(c.cost.count, c.cost[0].count))
            #expect(Set(r.pairs.map(\.row)).count == r.pairs.count && Set(r.pairs.map(\.col)).count == r.pairs.count)
            if c.unique { #expect(r.pairs.map { [$0.row, $0.col] } == c.pairs, "\(c.name)") }
        }
    }

    @Test func smallExampleByHand() throws {
        // The optimum of this matrix is 1 + 2 + 2 = 5 (rows 0, 1, 2 → columns 1, 0, 2).
        let cost: [[Double]] = [[4, 1, 3], [2, 0, 5], [3, 2, 2]]
        let r = try LinearAssignment.solve(cost)
        #expect(r.total == 5)
        #expect(r.pairs.map { [$0.row, $0.col] } == [[0, 1], [1, 0], [2, 2]])
        let mx = try LinearAssignment.solve(cost, maximize: true)
        #expect(mx.total == 11)  // 4 + 5 + 2
    }

    @Test func rejectsBadCosts() {
        for (cost, message) in [
            ([[1.0, .nan]], "cost[1][2] is nan, every cost must be finite"),
            ([[1.0], [.infinity]], "cost[2][1] is inf, every cost must be finite"),
            ([[1.0, 2], [3]], "cost row 2 has 1 entries, expected 2 (the length of row 1)"),
            ([], "cost must have at least one row and one column"),
        ] as [([[Double]], String)] {
            do {
                _ = try LinearAssignment.solve(cost)
                Issue.record("no error for \(cost)")
            } catch let e as BehaviorError { #expect(e.message == message) } catch { Issue.record("\(error)") }
        }
    }
}
