import ArgumentParser
import CLua
import CReplBridge
import DiscernLua
import Foundation
import LuaKit
import Store

#if canImport(Glibc)
import Glibc
#endif

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: """
        Interactive Lua with `discern` loaded: expressions print their value, `?name` shows help, \
        Tab completes, Ctrl-C interrupts the running chunk.
        """)

    func run() throws {
        try requireBackend()
        let st = try makeState()
        _ = try? st.execute("discern = require 'discern'", chunkName: "=(repl)")
        let session = ReplSession(state: st, interactive: isatty(0) != 0)
        session.loop()
    }
}

/// One REPL session: reads chunks, evaluates them, prints values or errors, never exits on error.
final class ReplSession {
    let state: LuaState
    let interactive: Bool
    let historyPath: String

    init(state: LuaState, interactive: Bool) {
        self.state = state
        self.interactive = interactive
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "."
        historyPath = home + "/.discern_history"
    }

    func loop() {
        if interactive {
            print("discern \(DiscernLuaVersion.value) — Lua REPL. ?name for help, Tab to complete, Ctrl-D to quit.")
            ReplReadline.setup(state: state)
            drl_read_history(historyPath)
        }
        // SIGINT becomes an interrupt request for the whole session (checked by the Lua hook,
        // and at the prompt by readline's signal hook).
        dlua_catch_sigint_public(true)
        defer {
            dlua_catch_sigint_public(false)
            if interactive { drl_write_history(historyPath) }
        }
        var buffer = ""
        while true {
            let prompt = buffer.isEmpty ? "> " : ">> "
            guard let line = readLine(prompt: prompt) else {
                if interactive { print("") }
                break
            }
            if line == ReplReadline.cancelled {
                buffer = ""
                continue
            }
            if buffer.isEmpty, line.trimmingCharacters(in: .whitespaces).hasPrefix("?") {
                help(String(line.trimmingCharacters(in: .whitespaces).dropFirst()).trimmingCharacters(in: .whitespaces))
                continue
            }
            if buffer.isEmpty, line.trimmingCharacters(in: .whitespaces).hasPrefix(":") {
                command(line.trimmingCharacters(in: .whitespaces))
                if interactive { drl_add_history(line) }
                continue
            }
            buffer += (buffer.isEmpty ? "" : "\n") + line
            if buffer.trimmingCharacters(in: .whitespaces).isEmpty {
                buffer = ""
                continue
            }
            switch evaluate(buffer) {
            case .incomplete: continue
            case .done:
                if interactive { drl_add_history(buffer) }
                buffer = ""
            }
        }
    }

    func readLine(prompt: String) -> String? {
        if interactive {
            guard let p = drl_readline(prompt) else { return nil }
            defer { free(p) }
            if ReplReadline.wasCancelled {
                ReplReadline.wasCancelled = false
                return ReplReadline.cancelled
            }
            return String(cString: p)
        }
        return Swift.readLine(strippingNewline: true)
    }

    enum Outcome { case done, incomplete }

    /// Tries `return <chunk>` (to print values), then the chunk as statements.
    func evaluate(_ chunk: String) -> Outcome {
        let L = state.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        do {
            do {
                try state.load("return " + chunk, chunkName: "=stdin")
            } catch {
                try state.load(chunk, chunkName: "=stdin")
            }
        } catch let e as LuaError {
            if e.message.hasSuffix("<eof>") { return .incomplete }
            eprint(e.message)
            return .done
        } catch {
            eprint("\(error)")
            return .done
        }
        do {
            let n = try LuaState.catchingInterruptsKeepingHandler { try state.pcall(nargs: 0) }
            if n > 0 {
                let values = (0..<n).map { display(top + 1 + $0) }
                print(values.joined(separator: "\t"))
            }
        } catch let e as LuaError {
            eprint(e.report)
        } catch {
            eprint("\(error)")
        }
        drl_flush()
        return .done
    }

    /// The text the REPL prints for the value at `idx`: tables through `discern.pp`, the rest
    /// (and a table when `pp` fails) as `tostring` shows it.
    func display(_ idx: Int32) -> String {
        let L = state.L
        let i = lua_absindex(L, idx)
        guard lua_type(L, i) == LUA_TTABLE else { return state.toDisplayString(i) }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        do {
            try state.load("return require('discern').pp(...)", chunkName: "=(pp)")
            lua_pushvalue(L, i)
            try state.pcall(nargs: 1, nresults: 1)
            if let text = LuaRead.string(L, -1) { return text }
        } catch {}
        return state.toDisplayString(i)
    }

    /// The REPL's own commands (`:strategy`, `:reload`, `:help`); each runs Lua through `evaluate`.
    static let commands = """
        :strategy             list the registered exploration strategies (* marks the active one)
        :strategy <name>      make <name> the active strategy (discern.strategy.use)
        :reload <module>      re-require a Lua module (strategies it registers replace same-named ones)
        :help                 this list; ?name shows the doc string of a value
        """

    func command(_ line: String) {
        let parts = line.dropFirst().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let name = parts.first else {
            print(Self.commands)
            return
        }
        let arg = parts.dropFirst().joined(separator: " ")
        let quoted = "\"" + arg.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        switch (name, arg.isEmpty) {
        case ("strategy", true):
            _ = evaluate("""
                (function() local s = require "discern".strategy; local out = {}
                  for _, n in ipairs(s.list()) do
                    out[#out + 1] = (n == s.active() and "* " or "  ") .. n .. "  " .. s.get(n).description
                  end
                  print(table.concat(out, "\\n")) end)()
                """)
        case ("strategy", false):
            _ = evaluate("""
                (function() local s = require "discern".strategy.use(\(quoted)); print("strategy: " .. s.name .. " - " .. s.description) end)()
                """)
        case ("reload", false):
            _ = evaluate("""
                (function() require "discern".strategy.reload(\(quoted)); print("reloaded " .. \(quoted)) end)()
                """)
        case ("reload", true):
            eprint("usage: :reload <module>")
        case ("help", _):
            print(Self.commands)
        default:
            eprint("unknown command \(line); :help lists the commands")
        }
    }

    /// Prints the doc string of an expression's value (or the fields of a table).
    func help(_ name: String) {
        let L = state.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        if name.isEmpty {
            print("?name shows help for a value, e.g. ?discern.tensor.zeros or ?t.sum for a tensor t")
            return
        }
        do {
            try state.load("return " + name, chunkName: "=help")
            try state.pcall(nargs: 0, nresults: 1)
        } catch {
            print("no help: cannot evaluate \(name): \(error)")
            return
        }
        if let doc = DiscernLua.help(state, at: -1) {
            print(doc)
        } else {
            print("no doc string for \(name) (\(state.toDisplayString(-1)))")
        }
        let keys = state.completions(for: name + ".").map { String($0.dropFirst(name.count + 1)) }
        if !keys.isEmpty { print("fields: " + keys.joined(separator: ", ")) }
        drl_flush()
    }
}

/// Readline integration: completion through tables and metatables, Ctrl-C at the prompt.
enum ReplReadline {
    nonisolated(unsafe) static var state: LuaState?
    nonisolated(unsafe) static var matches: [String] = []
    nonisolated(unsafe) static var wasCancelled = false
    static let cancelled = "\u{0}cancelled"

    static func setup(state: LuaState) {
        self.state = state
        drl_setup({ line, start, end, index in
            if index == 0 {
                // Complete the whole expression before the cursor; readline replaces from `start`.
                let bytes = Array((line.map { String(cString: $0) } ?? "").utf8)
                let upto = String(decoding: bytes.prefix(Int(end)), as: UTF8.self)
                let cut = Int(start)
                ReplReadline.matches = (ReplReadline.state?.completions(for: upto) ?? []).map {
                    String(decoding: Array($0.utf8).dropFirst(Swift.min(cut, $0.utf8.count)), as: UTF8.self)
                }
            }
            guard Int(index) < ReplReadline.matches.count else { return nil }
            return strdup(ReplReadline.matches[Int(index)])
        }, {
            guard dlua_interrupt_pending_public() else { return 0 }
            dlua_clear_interrupt_public()
            ReplReadline.wasCancelled = true
            return 1
        })
    }
}

enum DiscernLuaVersion {
    static var value: String { "0.1.0" }
}
