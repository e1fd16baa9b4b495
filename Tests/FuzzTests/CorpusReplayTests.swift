// Replays the committed fuzz corpus (Fuzz/corpus/<target>/) through the harness's entry points
// without the sanitizer build: every seed and every minimized crash must parse or throw, never trap.
import Foundation
import FuzzTargets
import Testing
import TestSupport

@Suite("Fuzz corpus replay")
struct CorpusReplayTests {
    static let corpus = Support.repoRoot.appendingPathComponent("Fuzz/corpus")

    static func files(_ target: FuzzTarget) -> [URL] {
        let dir = corpus.appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test("every fuzz target has a seed corpus", arguments: FuzzTarget.allCases)
    func hasSeeds(_ target: FuzzTarget) {
        let names = Self.files(target).map(\.lastPathComponent)
        #expect(names.contains { $0.hasPrefix("valid-") }, "Fuzz/corpus/\(target.rawValue) needs valid seeds")
        #expect(names.contains { $0.hasPrefix("invalid-") }, "Fuzz/corpus/\(target.rawValue) needs invalid seeds")
    }

    /// Seeds named valid-* must be accepted; invalid-* and crash-* (minimized fuzzer finds) may
    /// throw. None may trap, which would end the test process.
    @Test("every corpus file parses or throws", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        for file in Self.files(target) {
            let bytes = [UInt8](try Data(contentsOf: file))
            if file.lastPathComponent.hasPrefix("valid-") {
                #expect(throws: Never.self, "\(target.rawValue)/\(file.lastPathComponent)") { try target.run(bytes) }
            } else {
                _ = try? target.run(bytes)
            }
        }
    }
}
