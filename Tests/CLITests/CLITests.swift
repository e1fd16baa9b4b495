import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// End-to-end checks of the `discern` executable (built next to this test binary).
@Suite("discern CLI", .serialized)
struct CLITests {
    let discern = Support.buildDir.appendingPathComponent("discern")
    /// A DISCERN_HOME shared by the tests that need the tiny organisms (built once per test process).
    nonisolated(unsafe) static let sharedHome = try! Support.tempDir("shared-home")

    func run(_ args: [String], env: [String: String] = [:], stdin: String? = nil) throws -> Support.ProcessResult {
        #expect(FileManager.default.fileExists(atPath: discern.path), "build the package first: \(discern.path)")
        let home = try Support.tempDir("home")
        var e = ["DISCERN_HOME": home.path]
        for (k, v) in env { e[k] = v }
        return try Support.run(discern, args, env: e, stdin: stdin, cwd: Support.repoRoot)
    }

    @Test func luaSpecsPass() throws {
        let r = try run(["test", "Tests/lua"])
        #expect(r.status == 0, "Lua specs failed:\n\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains(" passed, 0 failed"))
    }

    @Test func examplesRun() throws {
        let dir = Support.repoRoot.appendingPathComponent("Scripts/examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".lua") }.sorted()
        #expect(!files.isEmpty)
        // One DISCERN_HOME for all examples, as a user has: the tiny organisms build once and are reused.
        let home = Self.sharedHome
        for f in files {
            let r = try run(["run", "Scripts/examples/\(f)"], env: ["DISCERN_HOME": home.path])
            #expect(r.status == 0, "\(f) failed:\n\(r.stdout)\n\(r.stderr)")
            if f == "diff_exhaustive.lua" {
                // multi plants three changes; the exhaustive pipeline must validate at least one of them.
                #expect(r.stdout.contains("multi vs base (tiny preset, seed 1)"), "\(r.stdout)")
                #expect(!r.stdout.contains(" 0 findings"), "\(r.stdout)")
                #expect(r.stdout.contains("ledger:"))
            }
            if f == "diff_mechanistic.lua" {
                // The mechanistic pipeline screens with forward passes and must validate at least one planted change.
                #expect(r.stdout.contains("multi vs base (tiny preset, seed 1, mechanistic)"), "\(r.stdout)")
                #expect(!r.stdout.contains(" 0 findings"), "\(r.stdout)")
                #expect(r.stdout.contains("shared basis"))
                #expect(r.stdout.contains("exploration rounds"))
            }
            if f == "trace.lua" {
                // The traced prompt is one where the knowledge edit changes the top prediction.
                #expect(r.stdout.contains("\n== divergence: after "), "\(r.stdout)")
                #expect(!r.stdout.contains("no divergence on this prompt"), "\(r.stdout)")
            }
        }
        let q = try run(["run", "Scripts/examples/quickstart.lua"])
        #expect(q.stdout.contains("dy/dx  =\tdiscern.Tensor(float32, [2, 2], cpu) [[0.0904, -0.1807], [0.0133, -0.0266]]"))
    }

    @Test func exitCodesAndArgs() throws {
        let dir = try Support.tempDir("scripts")
        let ok = dir.appendingPathComponent("ok.lua")
        try "print(arg[0] ~= nil, arg[1], select('#', ...), ...)".write(to: ok, atomically: true, encoding: .utf8)
        let r0 = try run(["run", ok.path, "a", "b c"])
        #expect(r0.status == 0)
        #expect(r0.stdout == "true\ta\t2\ta\tb c\n")
        let bad = dir.appendingPathComponent("bad.lua")
        try "local discern = require 'discern'\nlocal function f() return discern.tensor({1,2}) + discern.tensor({1,2,3}) end\nf()\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let r1 = try run(["run", bad.path])
        #expect(r1.status == 1)
        #expect(r1.stderr.contains("discern.Tensor.__add: The size of tensor a (2) must match the size of tensor b (3)"))
        #expect(r1.stderr.contains("stack traceback:"))
        #expect(r1.stderr.contains("bad.lua:2"))
        let syntax = dir.appendingPathComponent("syntax.lua")
        try "local x = = 1".write(to: syntax, atomically: true, encoding: .utf8)
        #expect(try run(["run", syntax.path]).status == 1)
        #expect(try run(["frobnicate"]).status == 2)
        #expect(try run(["run"]).status == 2)
        #expect(try run(["run", "/no/such/file.lua"]).status == 2)
        #expect(try run(["--help"]).status == 0)
        let budget = dir.appendingPathComponent("loop.lua")
        try "while true do end".write(to: budget, atomically: true, encoding: .utf8)
        let r2 = try run(["run", "--budget", "100000", budget.path])
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("instruction budget of 100000 exceeded"))
    }

    @Test("an unknown command is named, with the closest command suggested (exit 2)")
    func unknownCommandSuggests() throws {
        let r = try run(["runn", "x"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("discern: unknown command 'runn' (did you mean 'run'?)\n"), "\(r.stderr)")
        #expect(!r.stderr.contains("unexpected argument"))
        let far = try run(["frobnicate"])
        #expect(far.status == 2)
        #expect(far.stderr.hasPrefix("discern: unknown command 'frobnicate'\nCommands: run, repl, diff, doctor, test, organisms"), "\(far.stderr)")
        let script = try run(["hello.lua"])
        #expect(script.stderr.hasPrefix("discern: unknown command 'hello.lua' (did you mean 'discern run hello.lua'?)"))
        #expect(try run(["help", "run"]).status == 0)
    }

    @Test func doctorReportsBackend() throws {
        let r = try run(["doctor"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("torch backend:  /"))
        // Debian's libtorch unless a drop-in backend (e.g. one built against a PyTorch 2 wheel) is chosen.
        let version = ProcessInfo.processInfo.environment["DISCERN_TORCH_BACKEND"] == nil ? "1.13" : ""
        #expect(r.stdout.contains("\"libtorch\":\"\(version)"))
        #expect(r.stdout.contains("autograd check: ok"))
        #expect(r.stdout.contains("store:"))
    }

    @Test("DISCERN_CPU_CACHE_MB sets the CPU tensor cache; a malformed value is reported and the default used")
    func cpuCacheSetting() throws {
        let off = try run(["doctor"], env: ["DISCERN_CPU_CACHE_MB": "0"])
        #expect(off.status == 0 && off.stdout.contains("\"cpu_cache_mib\":0,"), "\(off.stdout)")
        let some = try run(["doctor"], env: ["DISCERN_CPU_CACHE_MB": "64"])
        #expect(some.stdout.contains("\"cpu_cache_mib\":64,"), "\(some.stdout)")
        let bad = try run(["doctor"], env: ["DISCERN_CPU_CACHE_MB": "1g"])
        #expect(bad.status == 0)
        #expect(bad.stderr.contains("DISCERN_CPU_CACHE_MB=1g is not a number of MiB; using the default"), "\(bad.stderr)")
        #expect(!bad.stdout.contains("\"cpu_cache_mib\":0,"))
    }

    @Test func mismatchedBackendIsAClearError() throws {
        let dir = try Support.tempDir("abi")
        let src = dir.appendingPathComponent("fake.c")
        try "int discern_torch_abi_version(void) { return 41; }\n".write(to: src, atomically: true, encoding: .utf8)
        let lib = dir.appendingPathComponent("libCTorch.so")
        let cc = try Support.run(URL(fileURLWithPath: "/usr/bin/env"), ["cc", "-shared", "-fPIC", "-o", lib.path, src.path])
        #expect(cc.status == 0, "\(cc.stderr)")
        let r = try run(["doctor"], env: ["DISCERN_TORCH_BACKEND": lib.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("torch backend ABI mismatch: \(lib.path) implements ABI 41"))
        let missing = try run(["run", "Scripts/examples/quickstart.lua"], env: ["DISCERN_TORCH_BACKEND": dir.appendingPathComponent("nope.so").path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("torch backend libCTorch.so not found"))
    }

    @Test func executableDoesNotLinkLibtorch() throws {
        let r = try Support.run(URL(fileURLWithPath: "/usr/bin/env"), ["ldd", discern.path])
        #expect(r.status == 0)
        #expect(!r.stdout.contains("libtorch"))
        #expect(!r.stdout.contains("libc10"))
        #expect(!r.stdout.contains("libCTorch"))
    }

    @Test func replPrintsRecoversAndHelps() throws {
        let input = """
            x = discern.tensor({1, 2, 3})
            x * 2
            ?discern.tensor.zeros
            for i = 1, 2 do
              print("line", i)
            end
            error("boom")
            discern.tensor({1, 2}):matmul(3)
            1 + 1, "two"
            print("still alive")

            """
        let r = try run(["repl"], stdin: input)
        #expect(r.status == 0)
        #expect(r.stdout.contains("discern.Tensor(float32, [3], cpu) [2., 4., 6.]"))
        #expect(r.stdout.contains("discern.tensor.zeros(shape: integer[], opts?: discern.tensor.CreateOptions) -> discern.Tensor"))
        #expect(r.stdout.contains("requires_grad: boolean = false"))
        #expect(r.stdout.contains("line\t1\nline\t2"))
        #expect(r.stdout.contains("2\ttwo"))
        #expect(r.stdout.contains("still alive"))
        #expect(r.stderr.contains("stdin:1: boom"))
        #expect(r.stderr.contains("discern.Tensor:matmul: bad argument #1 (discern.Tensor expected, got number)"))
    }

    @Test("REPL: completion offers unloaded submodules and userdata methods; tables print through discern.pp")
    func replCompletesAndPrettyPrints() throws {
        // `?name` lists the completions of `name.`, the same walk Tab does.
        let input = """
            ?discern
            m = discern.model.load("Tests/Fixtures/models/gpt2")
            ?m
            {1, 2, x = {y = "z"}}
            t = {}; t.self = t; return t
            discern.pp({list = {1, 2, 3}}, {depth = 1})

            """
        let r = try run(["repl"], stdin: input)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let fields = lines.filter { $0.hasPrefix("fields: ") }
        #expect(fields.count == 2, "\(r.stdout)")
        let submodules = Set(fields.first.map { $0.dropFirst(8).components(separatedBy: ", ") } ?? [])
        for name in ["tensor", "store", "model", "tokenizer", "embed", "stats", "bandit", "json", "fs", "circuit",
                     "strategy", "organisms", "random", "spec", "pp"] {
            #expect(submodules.contains(name), "discern. does not complete \(name): \(fields)")
        }
        #expect(fields.last?.contains("generate, hook_names") == true, "\(fields)")
        #expect(r.stdout.contains("\n{1, 2, x = {y = \"z\"}}\n"))
        #expect(r.stdout.contains("\n{self = <cycle>}\n"))
        #expect(r.stdout.contains("\n{list = {… 3 items}}\n"), "\(r.stdout)")
    }

    @Test func replStrategyAndReloadCommands() throws {
        let dir = try Support.tempDir()
        let module = dir.appendingPathComponent("my_strats.lua")
        func write(_ description: String) throws {
            try """
                return require "discern".strategy.register{
                  name = "first_arm", description = "\(description)",
                  init = function(arms) return arms end,
                  select = function(arms) return arms[1] end,
                  update = function() end,
                }
                """.write(to: module, atomically: true, encoding: .utf8)
        }
        try write("version one")
        let input = """
            package.path = "\(dir.path)/?.lua;" .. package.path
            require "my_strats"
            :strategy
            :strategy first_arm
            os.remove("\(module.path)"); os.rename("\(module.path).next", "\(module.path)")
            :reload my_strats
            discern.strategy.get().description
            :strategy no_such
            :reload
            :frobnicate
            :help

            """
        try """
            return require "discern".strategy.register{
              name = "first_arm", description = "version two",
              init = function(arms) return arms end,
              select = function(arms) return arms[1] end,
              update = function() end,
            }
            """.write(to: URL(fileURLWithPath: module.path + ".next"), atomically: true, encoding: .utf8)
        let r = try run(["repl"], stdin: input)
        #expect(r.status == 0)
        #expect(r.stdout.contains("* thompson"))
        #expect(r.stdout.contains("  first_arm  version one"))
        #expect(r.stdout.contains("strategy: first_arm - version one"))
        #expect(r.stdout.contains("reloaded my_strats"))
        #expect(r.stdout.contains("version two"))
        #expect(r.stderr.contains("no strategy named 'no_such'"))
        #expect(r.stderr.contains("usage: :reload <module>"))
        #expect(r.stderr.contains("unknown command :frobnicate"))
        #expect(r.stdout.contains(":reload <module>"))
    }

    /// The tiny organisms build inside the test suite: killed with SIGKILL while the base model
    /// trains, rerun to completion (resuming from the last checkpoint), verified, then reused.
    @Test func organismsTinyBuildResumesAfterKillAndVerifies() throws {
        let home = try Support.tempDir("organisms-home")
        let dir = home.appendingPathComponent("tiny")
        let env = ["DISCERN_HOME": home.path]
        let args = ["organisms", "build", "--preset", "tiny", "--dir", dir.path]
        let p = Process()
        p.executableURL = discern
        p.arguments = args + ["--quiet"]
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        p.currentDirectoryURL = Support.repoRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait for the base model's first checkpoint, then kill the build mid-training.
        let checkpoints = dir.appendingPathComponent(".work/base-checkpoints")
        let deadline = Date().addingTimeInterval(240)
        var sawCheckpoint = false
        while Date() < deadline, p.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
            if names.contains(where: { $0.hasPrefix("checkpoint-") }) {
                sawCheckpoint = true
                break
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(sawCheckpoint, "no base checkpoint appeared before the deadline")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("manifest.json").path))

        let r = try run(args, env: env)
        #expect(r.status == 0, "build failed:\n\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("base: 900 steps"))
        #expect(r.stderr.contains("(resumed from step"), "the base training did not resume: \(r.stderr)")
        #expect(r.stdout.contains("tiny: 7 organisms in \(dir.path)"))
        #expect(r.stdout.contains("all verified"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("manifest.json"))) as? [String: Any]
        #expect(manifest?["verified"] as? Bool == true)
        let models = manifest?["models"] as? [String: Any] ?? [:]
        #expect(Set(models.keys) == ["base", "knowledge_edit", "topic_refusal", "sentiment_flip", "safety_degradation",
                                     "style_injection", "null", "multi"])
        for name in models.keys {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(name)/model.safetensors").path))
        }
        // The base model's transcoders: saved in circuit-tracer's layout, their held-out metrics recorded and printed.
        #expect(r.stdout.contains("transcoders of the base model (held-out):"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("transcoders/config.yaml").path))
        let tc = manifest?["transcoders"] as? [String: Any] ?? [:]
        let layers = tc["layers"] as? [[String: Any]] ?? []
        #expect(layers.count == 2)
        for l in layers {
            let fvu = l["fvu"] as? Double ?? 1
            #expect(fvu < 0.3, "layer \(l["layer"] ?? "?") held-out FVU \(fvu)")
        }
        #expect(((tc["spliced"] as? [String: Any])?["fraction_recovered"] as? Double ?? 0) > 0.9)

        let again = try run(args, env: env)
        #expect(again.status == 0)
        #expect(again.stderr.contains("reusing the finished build"))
        let verify = try run(["organisms", "verify", "--preset", "tiny", "--dir", dir.path, "--quiet"], env: env)
        #expect(verify.status == 0, "verify failed:\n\(verify.stdout)\n\(verify.stderr)")
        #expect(verify.stdout.contains("knowledge_edit       knowledge_edit           yes"))
        let missing = try run(["organisms", "verify", "--preset", "tiny", "--dir", home.appendingPathComponent("none").path], env: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no build in"))
    }

    /// Ctrl-C while a binding reads a table whose metamethods loop: the read is protected, so the
    /// interrupt surfaces as a catchable `interrupted` error instead of a longjmp through Swift.
    @Test func interruptInsideAMetamethodRead() throws {
        let dir = try Support.tempDir("interrupt-meta")
        let script = dir.appendingPathComponent("loop.lua")
        try """
            local d = require "discern"
            local looping = setmetatable({}, {__len = function() return 2 end, __index = function() while true do end end})
            io.stdout:write("ready\\n"); io.stdout:flush()
            local ok, e = pcall(d.tensor, looping)
            print("first", ok, e and e.code)
            local looping_len = setmetatable({}, {__len = function() while true do end end})
            io.stdout:write("ready\\n"); io.stdout:flush()
            ok, e = pcall(d.stats.fdr, looping_len)
            print("second", ok, e and e.code)
            """.write(to: script, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = discern
        p.arguments = ["run", script.path]
        p.currentDirectoryURL = Support.repoRoot
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Interrupt once each loop is running (after each "ready", plus time to enter the loop).
        var seen = ""
        for round in 1...2 {
            while seen.components(separatedBy: "ready").count - 1 < round {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
            }
            Thread.sleep(forTimeInterval: 0.5)
            kill(p.processIdentifier, SIGINT)
        }
        p.waitUntilExit()
        let o = seen + String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "stdout:\n\(o)\nstderr:\n\(e)")
        #expect(o.contains("first\tfalse\tinterrupted"))
        #expect(o.contains("second\tfalse\tinterrupted"))
    }

    @Test func replInterruptReturnsToPrompt() throws {
        let p = Process()
        p.executableURL = discern
        p.arguments = ["repl"]
        p.currentDirectoryURL = Support.repoRoot
        let inPipe = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = inPipe
        p.standardOutput = out
        p.standardError = err
        try p.run()
        inPipe.fileHandleForWriting.write(Data("while true do end\n".utf8))
        Thread.sleep(forTimeInterval: 1.5)
        kill(p.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.5)
        inPipe.fileHandleForWriting.write(Data("print('after interrupt')\n".utf8))
        try inPipe.fileHandleForWriting.close()
        p.waitUntilExit()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0)
        #expect(e.contains("interrupted"))
        #expect(o.contains("after interrupt"))
    }

    @Test func storeSurvivesSigkillMidTransaction() throws {
        let home = try Support.tempDir("kill")
        let script = home.appendingPathComponent("writer.lua")
        try """
            local discern = require 'discern'
            local s = discern.store.default()
            for i = 1, 200 do
              s:set('committed-' .. i, string.rep('x', 1000) .. i)
              io.write('committed ', i, '\\n'); io.flush()
            end
            s:transaction(function()
              for i = 1, 1e9 do
                s:set('pending-' .. i, string.rep('y', 1000))
                if i == 500 then io.write('in transaction\\n'); io.flush() end
              end
            end)
            """.write(to: script, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = discern
        p.arguments = ["run", script.path]
        p.environment = ProcessInfo.processInfo.environment.merging(["DISCERN_HOME": home.path]) { $1 }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(60)
        while !seen.contains("in transaction") && Date() < deadline {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            seen += String(decoding: d, as: UTF8.self)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(seen.contains("in transaction"))
        #expect(p.terminationReason == .uncaughtSignal)
        let check = home.appendingPathComponent("check.lua")
        try """
            local discern = require 'discern'
            local s = discern.store.default()
            assert(s:integrity_check() == 'ok', 'integrity: ' .. s:integrity_check())
            for i = 1, 200 do assert(s:get('committed-' .. i) == string.rep('x', 1000) .. i, 'lost committed-' .. i) end
            assert(not s:has('pending-1'), 'uncommitted write visible')
            print('intact', s:count())
            """.write(to: check, atomically: true, encoding: .utf8)
        let r = try Support.run(discern, ["run", check.path], env: ["DISCERN_HOME": home.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("intact\t200"))
    }

    @Test func stockLuaRequiresTheModule() throws {
        let dir = try Support.tempDir("luamod")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("discern.so").path,
                                                   withDestinationPath: Support.buildDir.appendingPathComponent("libDiscernLuaModule.so").path)
        let code = """
            package.cpath = "\(dir.path)/?.so;" .. package.cpath
            local d = require "discern"
            local x = d.tensor({1, 2}, {requires_grad = true})
            local y = (x * x):sum(); y:backward()
            print(x:grad())
            local ok, e = pcall(function() return d.tensor({1, 2}) + d.tensor({1, 2, 3}) end)
            print(ok, e.code)
            """
        let r = try Support.run(URL(fileURLWithPath: "/usr/bin/env"), ["lua5.4", "-e", code])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "discern.Tensor(float32, [2], cpu) [2., 4.]\nfalse\tshape\n")
    }
}
