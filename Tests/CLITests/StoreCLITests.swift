import Foundation
import Testing
import TestSupport

/// `discern store stats` and `discern store gc` on a store written by a script.
@Suite("discern store")
struct StoreCLITests {
    let discern = Support.buildDir.appendingPathComponent("discern")

    /// A DISCERN_HOME whose default store holds three cache entries and the run that wrote them.
    func home() throws -> (env: [String: String], dir: URL) {
        let dir = try Support.tempDir("store-cli")
        let script = dir.appendingPathComponent("fill.lua")
        try """
            local d = require 'discern'
            d.store.set('a', string.rep('x', 3000)); d.store.set('b', {n = 1}); d.store.set('c', d.tensor({1, 2, 3}))
            """.write(to: script, atomically: true, encoding: .utf8)
        let env = ["DISCERN_HOME": dir.path]
        let r = try Support.run(discern, ["run", script.path], env: env, cwd: Support.repoRoot)
        #expect(r.status == 0, "\(r.stderr)")
        return (env, dir)
    }

    func run(_ args: [String], _ env: [String: String]) throws -> Support.ProcessResult {
        try Support.run(discern, args, env: env, cwd: Support.repoRoot)
    }

    @Test func statsPrintsATableAndJSON() throws {
        let (env, dir) = try home()
        let r = try run(["store", "stats"], env)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "store: \(dir.path)/store.sqlite")
        #expect(lines.count == 7, "\(r.stdout)")
        #expect(lines[1].hasPrefix("kind") && lines[1].contains("entries") && lines[1].contains("size")
            && lines[1].contains("oldest") && lines[1].hasSuffix("newest"), "\(r.stdout)")
        #expect(lines[2].hasPrefix("blob ") && lines[2].contains(" 1 ") && lines[2].contains("2.9 KiB"), "\(r.stdout)")
        #expect(lines[3].hasPrefix("json ") && lines[3].contains("7 B"), "\(r.stdout)")
        #expect(lines[4].hasPrefix("tensor ") && lines[4].contains("43 B"), "\(r.stdout)")
        #expect(lines[5].hasPrefix("total ") && lines[5].contains(" 3 "), "\(r.stdout)")
        #expect(lines[6].hasPrefix("file: ") && lines[6].hasSuffix("runs: 1"), "\(r.stdout)")

        let j = try run(["store", "stats", "--json", "--path", "\(dir.path)/store.sqlite"], [:])
        #expect(j.status == 0, "\(j.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(obj["entries"] as? Int == 3 && obj["runs"] as? Int == 1 && obj["bytes"] as? Int == 3000 + 7 + 12 + 31)
        let kinds = try #require(obj["kinds"] as? [[String: Any]])
        #expect(kinds.map { $0["kind"] as? String } == ["blob", "json", "tensor"])
    }

    @Test func gcDryRunThenEvictKeepsTheRuns() throws {
        let (env, _) = try home()
        let dry = try run(["store", "gc", "--older-than", "0s", "--dry-run"], env)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.hasPrefix("would evict 3 entries, 3.0 KiB:\n"), "\(dry.stdout)")
        #expect(dry.stdout.contains("(dry run: unchanged)"), "\(dry.stdout)")
        let keep = try run(["store", "gc", "--older-than", "2w"], env)
        #expect(keep.stdout.hasPrefix("evicted 0 entries, 0 B\n"), "\(keep.stdout)")
        let gc = try run(["store", "gc", "--max-size", "1K"], env)
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.hasPrefix("evicted 1 entries, 2.9 KiB:\n"), "\(gc.stdout)")
        #expect(gc.stdout.contains("blob") && gc.stdout.contains(" -> "), "\(gc.stdout)")
        let all = try run(["store", "gc", "--max-size", "0"], env)
        #expect(all.stdout.hasPrefix("evicted 2 entries"), "\(all.stdout)")
        let s = try run(["store", "stats"], env)
        let total = s.stdout.split(separator: "\n").first { $0.hasPrefix("total") }?.split(separator: " ").map(String.init)
        #expect(total?.prefix(3) == ["total", "0", "0"] && s.stdout.hasSuffix("runs: 1\n"), "\(s.stdout)")
    }

    @Test func badValuesNameTheFlagAndTheForms() throws {
        let (env, _) = try home()
        let age = try run(["store", "gc", "--older-than", "7"], env)
        #expect(age.status == 2)
        #expect(age.stderr.contains("--older-than: '7' is not a duration") && age.stderr.contains("30m, 12h, 7d, 2w"), "\(age.stderr)")
        let size = try run(["store", "gc", "--max-size", "10X"], env)
        #expect(size.status == 2)
        #expect(size.stderr.contains("--max-size: '10X' is not a size") && size.stderr.contains("500K, 200M, 10G"), "\(size.stderr)")
        let missing = try run(["store", "stats", "--path", "/nonexistent/dir/s.sqlite"], env)
        #expect(missing.status == 1 && missing.stderr.contains("discern store stats: no store at /nonexistent/dir/s.sqlite"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/dir"))
    }

    @Test func storeWithoutASubcommandPrintsHelp() throws {
        let r = try run(["store"], [:])
        #expect(r.status == 0, "\(r.stderr)")
        let text = r.stdout + r.stderr
        #expect(text.contains("USAGE: discern store <subcommand>") && text.contains("stats") && text.contains("gc"), "\(text)")
    }
}
