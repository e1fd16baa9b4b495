import Testing
@testable import Behavior

@Suite struct BehaviorErrorTests {
    @Test func messageIsTheDescription() {
        #expect(BehaviorError("k must be ≥ 1").description == "k must be ≥ 1")
    }
}
