import ArgumentParser
import Foundation
import LuaKit

/// `discern organisms build|verify`: the ground-truth model organisms (Stdlib/discern/organisms).
struct Organisms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build and verify the ground-truth model organisms (a base model and fine-tunes with planted differences).",
        subcommands: [Build.self, Verify.self])

    struct Options: ParsableArguments {
        @Option(name: .long, help: "tiny (tests, ~2 min), small (the demo, ≤ 20 min) or medium (for a GPU).")
        var preset = "small"

        @Option(name: .long, help: "The seed of the world, the tokenizer, every weight draw and data order.")
        var seed = 1

        @Option(name: .long, help: "Where to build (default: $DISCERN_HOME/organisms/<preset>).")
        var dir: String?

        @Flag(name: .long, help: "No progress output (the verification table is still printed).")
        var quiet = false

        /// The Lua options table for discern.organisms.build.
        func lua(verifyOnly: Bool) -> String {
            var fields = ["preset = \(luaQuote(preset))", "seed = \(seed)"]
            if let dir { fields.append("dir = \(luaQuote(dir))") }
            if quiet { fields.append("quiet = true") }
            if verifyOnly { fields.append("require_built = true") }
            return "{" + fields.joined(separator: ", ") + "}"
        }
    }

    /// Runs the build in Lua and prints the verification table; exit 1 when a GT fails to verify.
    static func execute(_ options: Options, verifyOnly: Bool) throws {
        try requireBackend()
        let st = try makeState()
        let code = """
            local discern = require 'discern'
            local build = require 'discern.organisms.build'
            local m = discern.organisms.build(\(options.lua(verifyOnly: verifyOnly)))
            for _, name in ipairs(m.organisms_built or build.organisms) do build.print_table(name, m.verification[name]) end
            print("\\nweight differences from the base model:")
            for _, name in ipairs(m.organisms_built or build.organisms) do
              local w = m.weight_diff[name]
              local layers = {}
              for i, l in ipairs(w.top_layers) do layers[i] = string.format("%s %.3g", l.label, l.relative_norm) end
              print(string.format("%-20s most changed: %s; largest matrix change %.3g (effective rank %.1f)", name,
                table.concat(layers, ", "), w.max_relative_norm, w.effective_rank_of_max or 0))
            end
            if m.transcoders then
              print("\\ntranscoders of the base model (held-out):")
              for _, line in ipairs(build.transcoder_lines(m.transcoders)) do print((line:gsub("^transcoders: ", ""))) end
            end
            print(string.format("%s: %s organisms in %s (%.1f s)%s", m.preset, #(m.organisms_built or build.organisms), m.dir,
              m.build_seconds, m.verified and ", all verified" or ""))
            """
        do {
            try LuaState.catchingInterrupts { _ = try st.execute(code, chunkName: "=(discern organisms)") }
        } catch let e as LuaError {
            eprint("discern organisms: \(e.message)")
            throw ScriptFailure(status: 1)
        }
    }

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: """
            Build tokenizer, base model and every organism, verify them and write manifest.json (a finished build is \
            reused; a killed one resumes).
            """)
        @OptionGroup var options: Options
        func run() throws { try Organisms.execute(options, verifyOnly: false) }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-run the verification of a finished build and print its table.")
        @OptionGroup var options: Options
        func run() throws { try Organisms.execute(options, verifyOnly: true) }
    }
}
