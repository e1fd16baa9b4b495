import CLua
import Foundation
import LuaKit

/// Help for functions written in Lua: their doc is the `---` comment block above their definition
/// (the LuaCATS annotations the Stdlib already carries), read from the source the function was loaded from.
extension DiscernLua {
    /// The help text of the value at `idx`: a declared doc string, or for a function written in Lua the
    /// `---` comment above its definition (what `discern.help` and REPL `?name` show).
    public static func help(_ state: LuaState, at idx: Int32) -> String? {
        state.doc(forValueAt: idx) ?? LuaSourceDoc.doc(state.L, idx)
    }
}

enum LuaSourceDoc {
    /// The doc of the Lua function at `idx`, or nil when it is not a Lua function or has no `---` comment.
    static func doc(_ L: OpaquePointer, _ idx: Int32) -> String? {
        guard lua_type(L, idx) == LUA_TFUNCTION, lua_iscfunction(L, idx) == 0 else { return nil }
        var ar = lua_Debug()
        lua_pushvalue(L, idx)
        guard lua_getinfo(L, ">S", &ar) != 0, let src = ar.source, ar.linedefined > 0 else { return nil }
        let source = String(cString: src)
        guard source.hasPrefix("@"), let text = sourceText(String(source.dropFirst())) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let defined = Int(ar.linedefined) - 1
        guard defined < lines.count else { return nil }
        var block: [String] = []
        var k = defined - 1
        while k >= 0, lines[k].trimmingCharacters(in: .whitespaces).hasPrefix("---") {
            block.insert(lines[k].trimmingCharacters(in: .whitespaces), at: 0)
            k -= 1
        }
        guard !block.isEmpty else { return nil }
        var out = [signature(lines[defined])].compactMap { $0 }
        for raw in block {
            var line = String(raw.dropFirst(3))
            if line.hasPrefix(" ") { line.removeFirst() }
            if line.hasPrefix("@param ") {
                let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
                if parts.count == 3 { out.append("  \(parts[1]): \(parts[2])") }
            } else if line.hasPrefix("@return ") {
                out.append("  returns " + line.dropFirst("@return ".count))
            } else if !line.hasPrefix("@") {
                out.append(line)
            }
        }
        return out.joined(separator: "\n")
    }

    /// `organisms.build(opts)` from `function organisms.build(opts) …` (nil for `local f = function…`).
    static func signature(_ line: String) -> String? {
        guard let f = line.range(of: "function "), let close = line.range(of: ")", range: f.upperBound..<line.endIndex) else {
            return nil
        }
        let sig = line[f.upperBound..<close.upperBound].trimmingCharacters(in: .whitespaces)
        return sig.hasPrefix("(") ? nil : sig
    }

    /// The text of a chunk: the embedded Stdlib for `Stdlib/discern/…` chunk names, else the file.
    static func sourceText(_ chunk: String) -> String? {
        if chunk.hasPrefix("Stdlib/"), chunk.hasSuffix(".lua") {
            let module = chunk.dropFirst("Stdlib/".count).dropLast(4).replacingOccurrences(of: "/", with: ".")
            if let s = embeddedStdlib[module] { return s }
        }
        return FileManager.default.contents(atPath: chunk).map { String(decoding: $0, as: UTF8.self) }
    }
}
