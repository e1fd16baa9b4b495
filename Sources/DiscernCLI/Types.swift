import ArgumentParser
import DiscernLua
import Foundation
import LuaKit

/// `discern types`: writes the LuaCATS annotations of the `discern` module for lua-language-server.
struct Types: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write LuaCATS annotations of the discern module (for lua-language-server).",
        discussion: """
            Every submodule is loaded so that each binding declares itself, then the stubs are rendered from those
            declarations into DIR/discern.lua. Add DIR to lua-language-server's workspace.library (with Stdlib/ for
            the functions written in Lua) to get completion and type checks.
            """
    )

    @Option(name: .long, help: "Directory to write discern.lua into.")
    var out = "Stdlib/discern/meta"

    @Flag(name: .long, help: "Write nothing; exit 1 when DIR/discern.lua differs from what would be written.")
    var check = false

    func run() throws {
        try requireBackend()
        let st = try makeState()
        let names = DiscernLua.submodules.map { "\"\($0)\"" }.joined(separator: ", ")
        do {
            try st.execute("local d = require 'discern'; for _, n in ipairs({\(names)}) do local _ = d[n] end")
        } catch let e as LuaError {
            eprint("discern types: \(e.report)")
            throw ScriptFailure(status: 1)
        }
        let bad = LuaAPI.malformed
        guard bad.isEmpty else {
            eprint("discern types: malformed signatures:\n" + bad.joined(separator: "\n"))
            throw ScriptFailure(status: 1)
        }
        let text = LuaAPI.stubs()
        let path = (out as NSString).appendingPathComponent("discern.lua")
        if check {
            let current = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
            guard current == text else {
                eprint("discern types: \(path) is stale; regenerate it with `discern types --out \(out)`")
                throw ExitCode(1)
            }
            print("\(path) is current (\(LuaAPI.functions.count) functions)")
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            eprint("discern types: cannot write \(path): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        print("wrote \(path) (\(LuaAPI.functions.count) functions, \(LuaAPI.classes.count) option and record types)")
    }
}
