import Behavior
import CLua
import Foundation
import LuaKit
import Models
import Store

extension BudgetExceeded: LuaCodedError {
    public var luaCode: String { "budget" }
    public var luaMessage: String { description + " (completions made so far are cached)" }
}

/// Lua bindings of `discern.sampling`: the cached sampler and the run ledger (issue 14). The
/// behavioural core in Lua (`discern.behavior`) builds on these.
enum SamplingLua {
    nonisolated(unsafe) static let ledgerCls = LuaClass<Ledger>("discern.Ledger") { l in
        let t = l.total
        return "discern.Ledger(\(t.samples) samples, \(t.generatedTokens) generated tokens, \(t.prefillTokens) prefill tokens)"
    }
    nonisolated(unsafe) static var methodsDefined = false

    struct BudgetArgs {
        var generated: Int?, forward: Int?, seconds: Double?
    }
    nonisolated(unsafe) static let budgetOptions = LuaOptionSpec<BudgetArgs>("discern.sampling.Budget", prototype: BudgetArgs(), [
        .integer("generated_tokens", \.generated, "generated tokens the run may use", in: 1...Int(1 << 52), default: "no limit"),
        .integer("forward_tokens", \.forward, "prefill/forward tokens the run may use", in: 1...Int(1 << 52), default: "no limit"),
        .number("seconds", \.seconds, "wall time of the run's steps", in: 1e-9...1e12, default: "no limit"),
    ])

    struct LedgerArgs { var budget = BudgetArgs() }
    nonisolated(unsafe) static let ledgerOptions = LuaOptionSpec<LedgerArgs>("discern.sampling.LedgerOptions", prototype: LedgerArgs(), [
        .custom("budget", type: "discern.sampling.Budget", "limits; a step that finds one reached raises a 'budget' error",
                default: "none") { root, o in
            try o.withValue("budget") { idx, _ in
                guard lua_type(o.tableL, idx) == LUA_TTABLE else { throw o.typeError("budget", "a table", at: idx) }
                root.budget = try budgetOptions.read(o.owner, at: idx)
            }
        },
    ])

    nonisolated(unsafe) static let counts = LuaRecordSpec<LedgerCounts>("discern.sampling.Counts", [
        .integer("prompts", \.prompts, "prompts sampled"), .integer("samples", \.samples, "completions used"),
        .integer("cached_samples", \.cachedSamples, "completions that came from the store"),
        .integer("prefill_tokens", \.prefillTokens, "prompt tokens processed (per completion) and forward-only tokens"),
        .integer("generated_tokens", \.generatedTokens, "tokens generated (cached completions included)"),
        .integer("compute_tokens", \.computeTokens, "prefill + generated"),
        .integer("forward_passes", \.forwardPasses, "forward passes run in this process"),
        .number("seconds", \.seconds, "wall time"),
    ])
    struct StepCounts { var step: String; var counts: LedgerCounts }
    nonisolated(unsafe) static let stepCounts = LuaRecordSpec<StepCounts>("discern.sampling.StepCounts", [
        .string("step", \.step), .record("counts", \.counts, counts),
    ])

    struct SampleArgs {
        var s = SamplingSettings()
        var ledger: Ledger?
        var store: Store?
        var noStore = false
        var step = "sample"
        var progress: Bool?
    }
    nonisolated(unsafe) static let sampleOptions = LuaOptionSpec<SampleArgs>("discern.sampling.SampleOptions", prototype: SampleArgs(), [
        .integer("n", \.s.n, "completions per prompt", in: 1...1_000_000),
        .integer("max_new_tokens", \.s.maxNewTokens, "tokens generated per completion at most", in: 0...1_000_000),
        .number("temperature", \.s.temperature, "softmax temperature; 0 decodes greedily", in: 0...1e6),
        .number("top_p", \.s.topP, "nucleus mass in (0, 1]", default: "off"),
        .integer("top_k", \.s.topK, "keep the k most likely tokens", in: 1...Int(Int32.max), default: "off"),
        .seed("seed", \.s.seed, "base seed of every completion's stream"),
        .integer("batch_size", \.s.batchSize, "rows per forward pass", in: 1...65536),
        .integer("chunk", \.s.chunkPrompts, "prompts generated and cached per chunk (the most a kill loses)", in: 1...1_000_000),
        .stringOrList("stop", \.s.stop, "strings that end a completion", default: "none"),
        .boolean("stop_at_eos", \.s.stopAtEOS, "stop at the model's EOS tokens"),
        .object("ledger", \.ledger, ledgerCls, "the run's ledger (counts and budget)", default: "a fresh one, unlimited"),
        .string("step", \.step, "the ledger step the counts go to"),
        .custom("store", type: "discern.Store|false", "the cache; false disables caching", default: "the default store") { root, o in
            try o.withValue("store") { idx, _ in
                if lua_type(o.tableL, idx) == LUA_TBOOLEAN, lua_toboolean(o.tableL, idx) == 0 {
                    root.noStore = true
                } else if let s = StoreLua.cls.test(o.tableL, idx) {
                    root.store = s
                } else {
                    throw o.typeError("store", "a discern.Store or false", at: idx)
                }
            }
        },
        .boolean("progress", \.progress, "progress bar on stderr (a terminal only)", default: "≥ 64 completions"),
    ])

    struct Row { var prompt: String; var c: Completion }
    nonisolated(unsafe) static let completion = LuaRecordSpec<Row>("discern.sampling.Completion", [
        .string("prompt", \.prompt, "the model input"), .string("completion", \.c.text, "the generated text"),
        .custom("prompt_index", type: "integer", "1-based index of its prompt") { r, L in lua_pushinteger(L, lua_Integer(r.c.promptIndex + 1)) },
        .custom("sample_index", type: "integer", "1-based index among the prompt's n") { r, L in lua_pushinteger(L, lua_Integer(r.c.sampleIndex + 1)) },
        .integer("prompt_tokens", \.c.promptTokens), .integer("generated_tokens", \.c.generatedTokens),
        .string("stop_reason", \.c.stopReason, "\"eos\", \"stop\" or \"length\""),
        .boolean("cached", \.c.cached, "whether it came from the store"),
        .string("key", \.c.key, "its store key (nil without a store)"),
    ])

    /// Builds the `discern.sampling` table on top of the stack.
    static func open(_ state: LuaState) {
        defineMethods()
        ledgerCls.register(in: state)
        let m = LuaModuleBuilder(state, "discern.sampling", doc: """
            discern.sampling: the cached sampler and the run ledger under discern.behavior (issue 14).
            """)
        m.function("ledger", "(opts?: discern.sampling.LedgerOptions) -> discern.Ledger", """
            A run's ledger: prompts, prefill tokens, generated tokens, forward passes and wall time per step, and an
            optional budget. Steps that find the budget reached raise a 'budget' error; what was made stays cached.
            """, options: ledgerOptions) { call in
            let a = try ledgerOptions.read(call, at: 1)
            let b = try Budget(generatedTokens: a.budget.generated, forwardTokens: a.budget.forward, seconds: a.budget.seconds)
            return call.push(Ledger(budget: b), ledgerCls)
        }
        m.function("sample", "(model: discern.Model, prompts: string[], opts?: discern.sampling.SampleOptions) -> discern.sampling.Completion[]", """
            n completions of every prompt, prompt by prompt. Each completion is cached in the store under (model
            fingerprint, prompt, settings, seed, occurrence, index) and written chunk by chunk, so a killed run resumes
            without regenerating anything; cached completions are identical to fresh ones. Completions equal
            model:generate's for the same prompts and settings. Counts go to opts.ledger under opts.step. Raises a
            'budget' error before a chunk when the ledger's budget is reached, and 'interrupted' on Ctrl-C.
            """, options: sampleOptions) { call in
            let model = try ModelLua.cls.check(call, 1)
            let prompts = try call.stringList(2)
            let a = try sampleOptions.read(call, at: 3)
            if let p = a.s.topP, !(p > 0 && p <= 1) { throw LuaError(code: "arg", "\(call.name): option 'top_p' must be in (0, 1], got \(p)") }
            let store = a.noStore ? nil : try (a.store ?? StoreLua.shared())
            let ledger = a.ledger ?? Ledger()
            // Computed per call, not cached per object: training or merging LoRA in place changes the weights,
            // and a stale fingerprint would serve the old model's completions.
            let fp = try model.fingerprintHex()
            var bar: ProgressBar?
            if a.progress ?? (prompts.count * a.s.n >= 64) { bar = ProgressBar(label: a.step) }
            let control = try LuaProgressControl(call, nil)
            let out: [Completion]
            do {
                out = try Sampler(store: store, ledger: ledger).sample(
                    model: model, fingerprint: fp, prompts: prompts, settings: a.s, step: a.step,
                    progress: bar.map { b in { d, t in b.update(d, t) } }, shouldStop: { control.shouldStop })
            } catch let e as SamplingInterrupted {
                try control.throwIfInterrupted("after \(e.done) of \(e.total) completions (they are cached)")
                throw LuaError(code: "interrupted", "\(call.name): stopped after \(e.done) of \(e.total) completions")
            }
            return try call.push(out.map { Row(prompt: prompts[$0.promptIndex], c: $0) }, completion)
        }
    }

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        ledgerCls.method("counts", "() -> discern.sampling.Counts", "The totals over every step.") { call, l in
            try call.push(l.total, counts)
        }
        ledgerCls.method("steps", "() -> discern.sampling.StepCounts[]", "Each step's counts, in first-use order.") { call, l in
            try call.push(l.steps.map { StepCounts(step: $0.step, counts: $0.counts) }, stepCounts)
        }
        ledgerCls.method("add", "(step: string, counts: table)", """
            Adds counts to a step: a table with any of prompts, samples, cached_samples, prefill_tokens,
            generated_tokens, forward_passes (non-negative integers) and seconds (number ≥ 0).
            """, options: addOptions.name) { call, l in
            let step = try call.string(2)
            l.add(step, try addOptions.read(call, at: 3))
            return 0
        }
        ledgerCls.method("exceeded", "() -> string?", "Which budget limit is reached, in words, or nil.") { call, l in
            call.returning(l.exceeded())
        }
        ledgerCls.method("budget", "() -> discern.sampling.Budget", "The limits (absent keys: no limit).") { call, l in
            let b = l.budget
            return try call.push(BudgetArgs(generated: b.generatedTokens, forward: b.forwardTokens, seconds: b.seconds), budgetRecord)
        }
    }

    nonisolated(unsafe) static let budgetRecord = LuaRecordSpec<BudgetArgs>("discern.sampling.BudgetRecord", [
        .integer("generated_tokens", \.generated), .integer("forward_tokens", \.forward), .number("seconds", \.seconds),
    ])
    nonisolated(unsafe) static let addOptions = LuaOptionSpec<LedgerCounts>("discern.sampling.CountsIn", prototype: LedgerCounts(), [
        .integer("prompts", \.prompts, "prompts", in: 0...Int(1 << 52)),
        .integer("samples", \.samples, "completions", in: 0...Int(1 << 52)),
        .integer("cached_samples", \.cachedSamples, "completions from the store", in: 0...Int(1 << 52)),
        .integer("prefill_tokens", \.prefillTokens, "prefill/forward tokens", in: 0...Int(1 << 52)),
        .integer("generated_tokens", \.generatedTokens, "generated tokens", in: 0...Int(1 << 52)),
        .integer("forward_passes", \.forwardPasses, "forward passes", in: 0...Int(1 << 52)),
        .number("seconds", \.seconds, "wall time", in: 0...1e12),
    ])
}
