import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

extension CLITests {
    /// `kill -9` in the middle of a diff, then the same command again: the rerun ends with the same findings as an
    /// uninterrupted run, and every completion made before the kill comes from the store instead of the model.
    @Test func diffResumesAfterKillWithTheSameFindings() throws {
        let dir = try Support.tempDir("diff-kill")
        let script = dir.appendingPathComponent("diff.lua")
        try """
            local discern = require "discern"
            local store_path = arg[1]
            local m = discern.organisms.build{preset = "tiny", quiet = true}
            local base = discern.model.load(m.dir .. "/base")
            local model = discern.model.load(m.dir .. "/multi")
            local world = discern.organisms.world{seed = m.seed}
            local store = discern.store.open(store_path)
            io.write("BEFORE ", store:count(), "\\n")
            local run = discern.diff{base = base, model = model, prompts = world:prompts(), seed = 2, store = store,
                                     n_prompts = 120}
            for _, f in ipairs(run:findings()) do io.write(string.format("FINDING %s p=%.12g\\n", f.statement, f.pvalue)) end
            -- Rules of validity: validation samples are disjoint from exploration samples, and every test's p
            -- went through the run's one FDR stream in the order the tests ran.
            local explored, disjoint = {}, true
            for _, side in ipairs({"base", "model"}) do
              for _, c in ipairs(run:step("sample")[side]) do explored[c.key] = true end
            end
            for _, t in ipairs(run:tests()) do
              for _, s in ipairs(t.samples) do
                if explored[s.base_key] or explored[s.model_key] then disjoint = false end
              end
            end
            local trace, ordered = run:fdr().tests, #run:fdr().tests == #run:tests()
            for i, t in ipairs(run:tests()) do
              ordered = ordered and trace[i].pvalue == t.pvalue and trace[i].alpha_t == t.alpha_t and trace[i].rejected == t.rejected
            end
            io.write("DISJOINT ", tostring(disjoint), " ORDERED ", tostring(ordered), "\\n")
            local t = run:ledger()
            io.write("TOTAL ", t.samples, " CACHED ", t.cached_samples, " TESTS ", #run:tests(), "\\n")
            """.write(to: script, atomically: true, encoding: .utf8)
        let env = ["DISCERN_HOME": Self.sharedHome.path]
        func lines(_ s: String, _ prefix: String) -> [String] { s.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) } }

        // Uninterrupted reference run.
        let clean = try run(["run", script.path, dir.appendingPathComponent("clean.sqlite").path], env: env)
        #expect(clean.status == 0, "\\(clean.stdout)\\n\\(clean.stderr)")
        #expect(clean.stdout.contains("DISJOINT true ORDERED true"), "\(clean.stdout)")
        let findings = lines(clean.stdout, "FINDING")
        #expect(!findings.isEmpty, "multi has three planted changes: \\(clean.stdout)\\n\\(clean.stderr)")

        // Killed once validation has begun (exploration cached, some validation cached).
        let killedStore = dir.appendingPathComponent("killed.sqlite").path
        let seen = try runUntil(script, killedStore, env: env, marker: "validate: label")
        #expect(seen.contains("validate: label"), "the run never reached validation: \\(seen)")

        let rerun = try run(["run", script.path, killedStore], env: env)
        #expect(rerun.status == 0, "\\(rerun.stdout)\\n\\(rerun.stderr)")
        #expect(lines(rerun.stdout, "FINDING") == findings)
        let before = Int(lines(rerun.stdout, "BEFORE ").first?.dropFirst(7) ?? "") ?? 0
        let total = lines(rerun.stdout, "TOTAL ").first?.split(separator: " ") ?? []
        let cached = total.count >= 4 ? Int(total[3]) ?? -1 : -1
        // Every completion cached before the kill (all exploration samples: 120 prompts × 2 × 2 models) is reused.
        #expect(before >= 480, "store had \\(before) entries after the kill")
        #expect(cached >= 480, "the rerun regenerated cached completions: \\(rerun.stdout)")
        // The same work was done: as many completions used and tests run as without the kill.
        let cleanTotal = lines(clean.stdout, "TOTAL ").first?.split(separator: " ") ?? []
        #expect(total.count == 6 && cleanTotal.count == 6 && total[1] == cleanTotal[1] && total[5] == cleanTotal[5],
                "\(total) vs \(cleanTotal)")
        #expect(Int(cleanTotal.count >= 4 ? cleanTotal[3] : "") == 0, "the clean run started from an empty store")
    }

    /// The mechanistic pipeline killed during exploration resumes from the store and ends with the same tests and
    /// findings as an uninterrupted run; the FDR stream holds every test in the order it ran.
    @Test func mechanisticDiffResumesAfterKill() throws {
        let dir = try Support.tempDir("diff-mech-kill")
        let script = dir.appendingPathComponent("mech.lua")
        try """
            local discern = require "discern"
            local m = discern.organisms.build{preset = "tiny", quiet = true}
            local store = discern.store.open(arg[1])
            local run = discern.diff{base = m.dir .. "/base", model = m.dir .. "/multi", method = "mechanistic",
                                     transcoders = m.dir .. "/transcoders", prompts = discern.organisms.world{seed = m.seed}:prompts(),
                                     seed = 4, store = store}
            for _, t in ipairs(run:tests()) do io.write(string.format("TEST %s p=%.12g %s\\n", t.statement, t.pvalue, tostring(t.rejected))) end
            local trace, ordered = run:fdr().tests, #run:fdr().tests == #run:tests()
            for i, t in ipairs(run:tests()) do ordered = ordered and trace[i].pvalue == t.pvalue and trace[i].rejected == t.rejected end
            local L = run:ledger()
            io.write("ORDERED ", tostring(ordered), " FINDINGS ", #run:findings(), " SAMPLES ", L.samples, " CACHED ", L.cached_samples, "\\n")
            """.write(to: script, atomically: true, encoding: .utf8)
        let env = ["DISCERN_HOME": Self.sharedHome.path]
        func lines(_ s: String, _ prefix: String) -> [String] { s.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) } }
        let clean = try run(["run", script.path, dir.appendingPathComponent("clean.sqlite").path], env: env)
        #expect(clean.status == 0, "\(clean.stdout)\n\(clean.stderr)")
        #expect(clean.stdout.contains("ORDERED true"), "\(clean.stdout)")
        #expect(!clean.stdout.contains("FINDINGS 0 "), "multi has three planted changes: \(clean.stdout)")
        let killedStore = dir.appendingPathComponent("killed.sqlite").path
        let seen = try runUntil(script, killedStore, env: env, marker: "explore: round 3 ")
        #expect(seen.contains("explore: round 3 "), "the run never reached round 3: \(seen)")
        let rerun = try run(["run", script.path, killedStore], env: env)
        #expect(rerun.status == 0, "\(rerun.stdout)\n\(rerun.stderr)")
        #expect(lines(rerun.stdout, "TEST ") == lines(clean.stdout, "TEST "))
        let cached = lines(rerun.stdout, "ORDERED ").first?.split(separator: " ").last.flatMap { Int($0) } ?? 0
        #expect(cached > 0, "the rerun reused nothing from the killed run: \(rerun.stdout)")
    }

    /// Runs `discern run script store` and kills it with SIGKILL once its stderr shows `marker` (or after ten
    /// minutes, or when it ends); returns the stderr seen.
    private func runUntil(_ script: URL, _ store: String, env: [String: String], marker: String) throws -> String {
        let p = Process()
        p.executableURL = discern
        p.arguments = ["run", script.path, store]
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.currentDirectoryURL = Support.repoRoot
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(600)
        while !seen.contains(marker) && Date() < deadline {
            let d = err.fileHandleForReading.availableData
            if d.isEmpty { break }
            seen += String(decoding: d, as: UTF8.self)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return seen
    }

    /// `discern diff` with no directories diffs the tiny organisms' base model against multi and prints findings;
    /// bad directories and options are named errors with exit codes 1 and 2.
    @Test func diffCommandRunsTheDemoAndNamesBadInput() throws {
        let env = ["DISCERN_HOME": Self.sharedHome.path]
        let r = try run(["diff", "--quiet", "--json", Self.sharedHome.appendingPathComponent("diff-cli.json").path], env: env)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("mechanistic: "), "\(r.stdout)")
        #expect(r.stdout.contains(" 1. the model's answers"), "\(r.stdout)")
        #expect(r.stdout.contains("ledger: "))
        #expect(FileManager.default.fileExists(atPath: Self.sharedHome.appendingPathComponent("diff-cli.json").path))
        let missing = try run(["diff", "/nonexistent/base", "/nonexistent/model"], env: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("BASE '/nonexistent/base' is not a model directory"), "\(missing.stderr)")
        let badMethod = try run(["diff", "--method", "magic"], env: env)
        #expect(badMethod.status == 2)
        #expect(badMethod.stderr.contains("--method must be mechanistic, exhaustive or both"), "\(badMethod.stderr)")
        let one = try run(["diff", "/tmp"], env: env)
        #expect(one.status == 2)
        #expect(one.stderr.contains("give both BASE and MODEL"), "\(one.stderr)")
    }
}
