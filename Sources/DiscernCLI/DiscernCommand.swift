import ArgumentParser
import Foundation
import DiscernLua
import LuaKit
import Store
import Tensor

/// A script failed; its message was already printed.
struct ScriptFailure: Error { let status: Int32 }

struct DiscernCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discern",
        abstract: "Find, explain and validate how an intervened language model differs from its base model.",
        discussion: "Lua scripts drive everything: `discern run script.lua`, or explore in `discern repl`.",
        version: DiscernLua.version,
        subcommands: [Run.self, Repl.self, DiffCommand.self, Doctor.self, TestCommand.self, Organisms.self, Types.self, StoreCommand.self]
    )
}

/// Prints to standard error.
func eprint(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Creates a Lua state with `discern` preloaded.
func makeState() throws -> LuaState {
    let st = try LuaState()
    DiscernLua.install(in: st)
    return st
}

/// Ensures the torch backend loads, or reports why (exit 1).
func requireBackend() throws {
    do { try Torch.ensureLoaded() } catch {
        eprint("discern: \(error)")
        throw ScriptFailure(status: 1)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a Lua script (its arguments are in `arg` and `...`).")

    @Argument(help: "The Lua script to run.")
    var script: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the script.")
    var args: [String] = []

    @Option(name: .long, help: "Stop the script after this many Lua instructions.")
    var budget: Int?

    func run() throws {
        guard FileManager.default.fileExists(atPath: script) else {
            eprint("discern run: no such script: \(script)")
            throw ExitCode(2)
        }
        try requireBackend()
        let st = try makeState()
        setArgTable(st, script: script, args: args)
        st.setInstructionBudget(budget)
        let store: Store? = try? Store(path: Store.defaultPath())
        let runID = try? store?.beginRun(script: script, args: args)
        do {
            try LuaState.catchingInterrupts { try st.runFile(script, args: args) }
            if let runID { try? store?.endRun(runID, status: "ok") }
        } catch let e as LuaError {
            if let runID { try? store?.endRun(runID, status: e.code == "interrupted" ? "interrupted" : "error") }
            eprint("discern: \(e.report)")
            throw ScriptFailure(status: 1)
        }
    }
}

/// Sets the global `arg` table as the stock interpreter does (arg[0] = script).
func setArgTable(_ st: LuaState, script: String, args: [String]) {
    var code = "arg = {[0] = \(luaQuote(script))"
    for (i, a) in args.enumerated() { code += ", [\(i + 1)] = \(luaQuote(a))" }
    code += "}"
    _ = try? st.execute(code, chunkName: "=(arg)")
}

/// A Lua string literal for `s`.
func luaQuote(_ s: String) -> String {
    var out = "\""
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "\""): out += "\\\""
        case UInt8(ascii: "\\"): out += "\\\\"
        case 32..<127: out.append(Character(UnicodeScalar(b)))
        default: out += "\\\(b)"
        }
    }
    return out + "\""
}

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print versions, the torch backend, devices, threads and the store location.")

    func run() throws {
        print("discern \(DiscernLua.version)")
        let st = try makeState()
        let lua = (try? st.execute("return _VERSION")) != nil ? st.toDisplayString(-1) : "?"
        print("lua:            \(lua)")
        print("stdlib:         \(ProcessInfo.processInfo.environment["DISCERN_STDLIB"].map { "\($0) (DISCERN_STDLIB)" } ?? "embedded")")
        print("store:          \(Store.defaultPath())")
        do {
            try Torch.ensureLoaded()
        } catch {
            print("torch backend:  FAILED")
            eprint("discern doctor: \(error)")
            throw ScriptFailure(status: 1)
        }
        print("torch backend:  \(Torch.backendPath ?? "?")")
        print("torch build:    \(try Torch.buildInfo())")
        let cuda = try Torch.cudaDeviceCount()
        print("devices:        cpu\(cuda > 0 ? (0..<cuda).map { ", cuda:\($0)" }.joined() : " (no CUDA)")")
        print("threads:        aten \(try Torch.numThreads()), openblas \(try Torch.blasThreads().map(String.init) ?? "n/a")")
        // A tiny end-to-end check: a gradient through the backend.
        let x = try Tensor([1, 2, 3] as [Float]).requiresGrad()
        try (x * x).sum().backward()
        let ok = try x.grad()?.floats() == [2, 4, 6]
        print("autograd check: \(ok ? "ok" : "FAILED")")
        if !ok { throw ScriptFailure(status: 1) }
    }
}

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run Lua spec files (default: Tests/lua/*_spec.lua).")

    @Argument(help: "Spec files or directories.")
    var paths: [String] = []

    @Option(name: .long, help: "Run only tests whose full name contains this text.")
    var filter: String?

    func run() throws {
        try requireBackend()
        var files: [String] = []
        let fm = FileManager.default
        for p in (paths.isEmpty ? ["Tests/lua"] : paths) {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                eprint("discern test: no such file or directory: \(p)")
                throw ExitCode(2)
            }
            if isDir.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: p)) ?? []
                files += names.filter { $0.hasSuffix("_spec.lua") }.sorted().map { "\(p)/\($0)" }
            } else {
                files.append(p)
            }
        }
        guard !files.isEmpty else {
            eprint("discern test: no *_spec.lua files found")
            throw ExitCode(2)
        }
        let st = try makeState()
        var code = "local spec = require 'discern.spec'\nlocal r = spec.run({"
        code += files.map(luaQuote).joined(separator: ", ")
        code += "}, {filter = \(filter.map(luaQuote) ?? "nil")})\nreturn r.failed"
        do {
            try LuaState.catchingInterrupts { _ = try st.execute(code, chunkName: "=(discern test)") }
        } catch let e as LuaError {
            eprint("discern test: \(e.report)")
            throw ScriptFailure(status: 1)
        }
        let failed = Int(st.toDisplayString(-1)) ?? 1
        if failed > 0 { throw ScriptFailure(status: 1) }
    }
}

extension DiscernCommand {
    /// The names `discern <name>` accepts (subcommands and `help`).
    static var commandNames: [String] {
        configuration.subcommands.map { $0._commandName } + ["help"]
    }

    /// `unknown command 'runn' (did you mean 'run'?)` when the first argument is not an option and
    /// names no subcommand; nil otherwise (the argument parser handles everything else).
    static func unknownCommandMessage(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), !commandNames.contains(first) else { return nil }
        let close = commandNames.filter { $0 != "help" }
            .map { ($0, editDistance($0, first)) }
            .filter { $0.1 <= max(1, min($0.0.count, first.count) / 2) }
            .min { $0.1 < $1.1 }
        let hint = first.hasSuffix(".lua") ? " (did you mean 'discern run \(first)'?)"
            : close.map { " (did you mean '\($0.0)'?)" } ?? ""
        return "discern: unknown command '\(first)'\(hint)\nCommands: \(commandNames.filter { $0 != "help" }.joined(separator: ", ")); "
            + "`discern --help` for details."
    }

    /// The Levenshtein distance between `a` and `b`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let cur = row[j]
                row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
}
