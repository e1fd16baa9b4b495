import ArgumentParser
import Foundation
import LuaKit

/// `discern diff [BASE MODEL]`: compares an intervened model with its base model and prints validated findings
/// (Stdlib/discern/cli.lua's `cli.diff`).
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Find and validate how MODEL behaves differently from BASE (default: the tiny organisms' base vs multi).",
        discussion: """
            Without directories it builds (first time, about 2 minutes for tiny) or reuses the ground-truth organisms and \
            diffs the base model against --organism. Progress goes to stderr per step; the findings table and the ledger \
            to stdout. Rerunning the same command reuses every cached sample and ends with the same findings.
            """)

    @Argument(help: "The base model directory (Hugging Face layout).")
    var base: String?

    @Argument(help: "The intervened model directory.")
    var model: String?

    @Option(name: .long, help: "mechanistic, exhaustive or both.")
    var method = "mechanistic"

    @Option(name: .long, help: "The base model's transcoders (circuit-tracer layout); default the organisms' when diffing organisms.")
    var transcoders: String?

    @Option(name: .long, help: "world (the organisms' prompts) or a .txt/.jsonl/.csv file of prompts.")
    var prompts = "world"

    @Option(name: .long, help: "The JSONL field or CSV column holding the prompt.")
    var field: String?

    @Option(name: .long, help: "The run's online FDR level.")
    var alpha = 0.05

    @Option(name: .customLong("min-effect"), help: "The minimum effect of the nulls (default 0.05 for rates).")
    var minEffect: Double?

    @Option(name: .customLong("budget-tokens"), help: "Generated tokens at most.")
    var budgetTokens = 400_000

    @Option(name: .long, help: "The run's seed.")
    var seed = 1

    @Option(name: .long, help: "Organisms preset when no directories are given: tiny, small or medium.")
    var preset = "tiny"

    @Option(name: .long, help: "The organism diffed against the base model when no directories are given.")
    var organism = "multi"

    @Option(name: .long, help: "Write the run's summary (findings, tests, FDR trace, ledger) as JSON here.")
    var json: String?

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard ["mechanistic", "exhaustive", "both"].contains(method) else {
            throw ValidationError("--method must be mechanistic, exhaustive or both, got '\(method)'")
        }
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be in (0, 1), got \(alpha)") }
        guard budgetTokens > 0 else { throw ValidationError("--budget-tokens must be positive") }
        guard seed >= 0 else { throw ValidationError("--seed must be non-negative") }
        if (base == nil) != (model == nil) { throw ValidationError("give both BASE and MODEL, or neither") }
    }

    func run() throws {
        try requireBackend()
        let st = try makeState()
        var fields = ["method = \(luaQuote(method))", "prompts = \(luaQuote(prompts))", "alpha = \(alpha)",
                      "budget_tokens = \(budgetTokens)", "seed = \(seed)", "preset = \(luaQuote(preset))",
                      "organism = \(luaQuote(organism))"]
        if let base { fields.append("base = \(luaQuote(base))") }
        if let model { fields.append("model = \(luaQuote(model))") }
        if let transcoders { fields.append("transcoders = \(luaQuote(transcoders))") }
        if let field { fields.append("field = \(luaQuote(field))") }
        if let minEffect { fields.append("min_effect = \(minEffect)") }
        if let json { fields.append("json = \(luaQuote(json))") }
        if quiet { fields.append("quiet = true") }
        let code = "require('discern.cli').diff{" + fields.joined(separator: ", ") + "}"
        do {
            try LuaState.catchingInterrupts { _ = try st.execute(code, chunkName: "=(discern diff)") }
        } catch let e as LuaError {
            eprint(e.message.hasPrefix("discern diff") ? e.message : "discern diff: \(e.message)")
            throw ScriptFailure(status: 1)
        }
    }
}
