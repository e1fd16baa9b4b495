import CLua
import Circuits
import Foundation
import LuaKit
import Models
import Tensor

/// `discern.circuit.train_transcoders`: per-layer transcoder training from Lua.
extension CircuitLua {
    /// What `train_transcoders` reads from its options: the Swift config plus the binding's own keys.
    struct TrainArgs {
        var config = TranscoderTrainingConfig(steps: 0)
        var out: String?
        var prependBOS: Bool?
        var progress = true
        var maxGradNormOff = false
    }

    /// Every option of `train_transcoders`, declared once (type, default, doc).
    nonisolated(unsafe) static let trainSpec = LuaOptionSpec<TrainArgs>("discern.circuit.TrainTranscodersOptions",
                                                                        prototype: TrainArgs(), [
        .integer("steps", \.config.steps, "optimizer steps", in: 1...Int.max, required: true),
        .integers("layers", \.config.layers, "0-based layers to train", in: 0...Int.max, default: "all"),
        .integer("width", \.config.width, "latents per layer", in: 1...Int.max, default: "expansion·d_model"),
        .integer("expansion", \.config.expansion, "width as a multiple of d_model (when width is not given)", in: 1...Int.max),
        .integer("k", \.config.k, "active latents per token (TopK) or per token on average (BatchTopK)", in: 1...Int.max),
        .choice("activation", \.config.activation, "TopK per token, or BatchTopK per batch with a learned threshold"),
        .choice("export", \.config.export, "saved activation", default: "\"topk\" (topk) | \"jumprelu\" (batchtopk)"),
        .boolean("skip", \.config.skip, "learn a linear skip connection"),
        .integer("batch_size", \.config.batchTokens, "tokens per step and layer", in: 1...Int.max),
        .number("lr", \.config.lr, "learning rate", in: 0...1e3, default: "2e-4/sqrt(width/2^14)"),
        .integer("warmup_steps", \.config.warmupSteps, "linear warm-up steps", in: 0...Int.max, default: "min(1000, steps/20)"),
        .choice("schedule", \.config.schedule, "learning-rate decay after warm-up"),
        .number("min_lr_fraction", \.config.minLRFraction, "final learning rate as a fraction of lr", in: 0...1),
        .numberOrOff("max_grad_norm", \.config.maxGradNorm, "gradient-norm clip", in: Double.leastNonzeroMagnitude...1e30),
        .number("aux_alpha", \.config.auxAlpha, "weight of the AuxK loss", in: 0...1e6),
        .integer("aux_k", \.config.auxK, "dead latents AuxK uses", in: 1...Int.max, default: "d_model/2"),
        .integer("dead_tokens", \.config.deadTokens, "tokens without firing after which a latent is dead", in: 1...Int.max,
                 default: "min(1e7, max(batch_size, steps·batch_size/10))"),
        .integer("threshold_start_step", \.config.thresholdStartStep, "step from which BatchTopK's threshold is learned",
                 in: 0...Int.max, default: "min(1000, steps/2)"),
        .boolean("normalize", \.config.normalize, "scale inputs and targets to unit mean-squared norm (folded into the saved weights)"),
        .integer("context_size", \.config.contextSize, "tokens per training window", in: 2...Int.max, default: "min(n_ctx, 1024)"),
        .integer("buffer_tokens", \.config.bufferTokens, "activations shuffled together", in: 1...Int.max, default: "16·batch_size"),
        .integer("forward_batch", \.config.forwardBatch, "windows per forward pass", in: 1...Int.max),
        .integer("eval_tokens", \.config.evalTokens, "held-out tokens for the metrics", in: 0...Int.max),
        .custom("eval_corpus", type: "any", "held-out text (same forms as corpus)", default: "a World sample or a tenth of the corpus") { _, _ in },
        .boolean("prepend_bos", \.prependBOS, "prepend BOS to each document", default: "the tokenizer's default"),
        .string("input_hook", \.config.inputHook, "hook the transcoders read (per layer)"),
        .string("output_hook", \.config.outputHook, "hook the transcoders predict (per layer)"),
        .seed("seed", \.config.seed, "seed of initialisation, shuffling and sampling"),
        .string("checkpoint_dir", \.config.checkpointDir, "where checkpoints go; a rerun resumes from them"),
        .integer("checkpoint_every", \.config.checkpointEvery, "steps between checkpoints", in: 1...Int.max),
        .integer("keep_checkpoints", \.config.keepCheckpoints, "checkpoints kept", in: 1...Int.max),
        .boolean("resume", \.config.resume, "resume from checkpoint_dir when it holds a checkpoint"),
        .number("max_seconds", \.config.maxSeconds, "stop (with a checkpoint) after this long", in: 0...1e12),
        .string("out", \.out, "directory to save the set in (circuit-tracer layout, with metrics.json)"),
        .boolean("progress", \.progress, "show a progress bar", default: "true (on a terminal)"),
        .custom("on_progress", type: "fun(p: table): boolean?", "called with progress; return false to stop") { _, _ in },
    ])

    /// Defines `train_transcoders` in the `discern.circuit` table at `mod`.
    static func defineTraining(_ state: LuaState, _ mod: Int32) {
        LuaModuleBuilder(state, "discern.circuit", at: mod).function(
            "train_transcoders", "(model: discern.Model, corpus: string[]|string|fun(): string?|discern.World, opts: discern.circuit.TrainTranscodersOptions) -> discern.Transcoders?, table", """
            Trains one transcoder per layer (reading input_hook, predicting output_hook) on activations computed on the
            fly: the corpus is tokenised, cut into context_size windows, run through the model, and the activations of
            every position except 0 are shuffled across sequences in a buffer. TopK keeps each token's k largest
            pre-activations; BatchTopK keeps the k·batch largest ReLU activations of a batch and learns a threshold for
            inference (exported as JumpReLU). AuxK lets dead latents reconstruct the residual. Inputs and targets are
            normalised to unit mean-squared norm and the factors are folded into the saved weights. corpus: a list of
            strings; a path to a text file (one document per line, or, when the file has blank lines, blank-line-separated
            documents); an iterator function returning strings (nil ends it; it is read until steps·batch_size +
            eval_tokens tokens); or a discern.World (dialogues are sampled from it until that many tokens). Held-out text
            for the metrics is eval_corpus, a fresh World sample, or a seeded tenth (at most eval_tokens tokens) split off
            the corpus. Returns the set (nil when only some layers were trained) and metrics = {layers = {{layer, fvu,
            l0, dead_fraction, inactive_fraction, input_scale, output_scale}…}, spliced = {clean_loss, spliced_loss,
            zero_ablation_loss, loss_increase, fraction_recovered, targets}, held_out_tokens, training = {…options…},
            stop_reason, steps, resumed_from, tokens_seen, train_seconds, history = {fvu = {{per layer}…per step}, l0 =
            …}, path}. With out, the set is saved there in circuit-tracer's layout with metrics.json beside it. With
            checkpoint_dir, a rerun with the same model, corpus and options resumes bit-identically. Ctrl-C stops after
            the current step with a checkpoint and raises 'interrupted'.
            """, options: trainSpec) { call in
            try trainTranscoders(call)
        }
    }

    private static func fail(_ call: LuaCall, _ message: String) -> LuaError {
        LuaError(code: "arg", "\(call.name): \(message)")
    }

    private static func trainTranscoders(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        let model = try ModelLua.cls.check(call, 1)
        guard model.tokenizer != nil else {
            throw fail(call, "the model has no tokenizer; transcoder training tokenises the corpus with it")
        }
        if call.isNil(2) { throw call.argError(2, "corpus (list of strings, file path, iterator function or discern.World)") }
        var args = TrainArgs()
        let o = try trainSpec.decode(call, at: 3, into: &args)
        if try o?.has("width") == true, try o?.has("expansion") == true {
            throw fail(call, "give either 'width' or 'expansion', not both")
        }
        let c = args.config
        let steps = c.steps
        let out = args.out
        let prependBOS = args.prependBOS
        // Check the options before reading the corpus (an iterator or a World may be expensive to draw from).
        try c.validate(nLayers: model.config.nLayers, dModel: model.config.dModel)

        let budget = steps * c.batchTokens
        let encode: (String) throws -> [Int] = { try model.encode($0, prependBOS: prependBOS) }
        let corpus = try readCorpus(call, 2, what: "corpus", encode: encode, tokens: budget + c.evalTokens, seed: c.seed)
        var heldOut: [[Int]]?
        if let o, try o.has("eval_corpus") {
            _ = try o.push("eval_corpus")
            defer { dlua_pop(L, 1) }
            heldOut = try readCorpus(call, lua_gettop(L), what: "eval_corpus", encode: encode, tokens: c.evalTokens,
                                     seed: c.seed &+ 0x5EED)
        } else if isWorld(L, 2) {
            heldOut = try readCorpus(call, 2, what: "corpus", encode: encode, tokens: c.evalTokens, seed: c.seed &+ 0x5EED)
        }

        let trainer = try TranscoderTrainer(model: model, sequences: corpus, heldOut: heldOut, config: c)
        let control = try LuaProgressControl(call, o)
        let bar = args.progress ? ProgressBar(label: "transcoders") : nil
        trainer.onProgress = { p in
            if p.event == .step, !p.fvu.isEmpty {
                let n = Double(p.fvu.count)
                bar?.update(p.step, p.totalSteps, extra: String(format: "FVU %.3f  L0 %.1f  dead %.3f  %d tok/s",
                                                                p.fvu.reduce(0, +) / n, p.l0.reduce(0, +) / n,
                                                                p.deadFraction.max() ?? 0, Int(p.tokensPerSecond)))
            }
            try control.report { pushProgress(call, p) }
        }
        trainer.shouldStop = { _ in control.shouldStop }
        let r = try trainer.run()
        bar?.finish()
        try control.throwIfInterrupted("after step \(r.steps)"
                + (c.checkpointDir.map { "; checkpoint in \($0), rerun the same call to resume" } ?? " (no checkpoint_dir: the progress is lost)"))
        if let out { try r.save(to: out) }
        if let set = try r.transcoderSet() {
            transcodersClass.push(L, TranscodersBox(.perLayer(set), path: out))
        } else {
            lua_pushnil(L)
        }
        try pushMetrics(call, r, path: out)
        return 2
    }

    /// Whether the value at `idx` is a `discern.World` (a table whose metatable's `__name` says so).
    private static func isWorld(_ L: OpaquePointer, _ idx: Int32) -> Bool {
        guard lua_type(L, idx) == LUA_TTABLE, luaL_getmetafield(L, idx, "__name") != LUA_TNIL else { return false }
        defer { dlua_pop(L, 1) }
        return LuaRead.string(L, -1) == "discern.World"
    }

    /// Token sequences from the corpus value at `idx`: a list of strings, a file path, an iterator function, or a
    /// `discern.World`. Iterators and worlds are drawn from until the sequences hold `tokens` tokens (a World with
    /// `seed`, `seed + 1`, … per round of 256 dialogues); lists and files are read whole.
    private static func readCorpus(_ call: LuaCall, _ idx: Int32, what: String, encode: (String) throws -> [Int],
                                   tokens: Int, seed: UInt64) throws -> [[Int]] {
        let L = call.L
        let i = lua_absindex(L, idx)
        var out: [[Int]] = []
        var count = 0
        func add(_ text: String) throws {
            let ids = try encode(text)
            count += ids.count
            out.append(ids)
        }
        switch lua_type(L, i) {
        case LUA_TSTRING:
            let path = LuaRead.string(L, i) ?? ""
            guard let data = FileManager.default.contents(atPath: path) else {
                throw fail(call, "\(what): cannot read the text file \(path)")
            }
            for doc in documents(String(decoding: data, as: UTF8.self)) { try add(doc) }
            guard !out.isEmpty else { throw fail(call, "\(what): the file \(path) holds no document") }
        case LUA_TFUNCTION:
            var n = 0
            while count < tokens {
                lua_pushvalue(L, i)
                try LuaState(borrowing: L).pcall(nargs: 0, nresults: 1)
                defer { dlua_pop(L, 1) }
                n += 1
                if lua_type(L, -1) == LUA_TNIL { break }
                guard lua_type(L, -1) == LUA_TSTRING else {
                    throw fail(call, "\(what): the iterator's result \(n) is a \(String(cString: lua_typename(L, lua_type(L, -1)))), expected a string (or nil to end)")
                }
                try add(LuaRead.string(L, -1) ?? "")
            }
            guard !out.isEmpty else { throw fail(call, "\(what): the iterator returned no string") }
        case LUA_TTABLE where isWorld(L, i):
            var round: UInt64 = 0
            while count < tokens {
                let top = lua_gettop(L)
                defer { lua_settop(L, top) }
                try LuaRead.field(L, i, "sample", call.name)
                lua_pushvalue(L, i)
                lua_pushinteger(L, 256)
                lua_createtable(L, 0, 1)
                lua_pushinteger(L, lua_Integer(bitPattern: (seed &+ round) & 0x7FFF_FFFF_FFFF_FFFF))
                lua_setfield(L, -2, "seed")
                try LuaState(borrowing: L).pcall(nargs: 3, nresults: 1)
                guard lua_type(L, -1) == LUA_TTABLE else { throw fail(call, "\(what): World:sample did not return a list") }
                let list = lua_gettop(L)
                let before = count
                let n = try LuaRead.length(L, list, "\(what): World:sample's list")
                var k = 1
                while k <= n && count < tokens {
                    guard try LuaRead.index(L, list, k, call.name) == LUA_TTABLE,
                          try LuaRead.field(L, -1, "text", call.name) == LUA_TSTRING else {
                        throw fail(call, "\(what): World:sample item \(k) has no string field text")
                    }
                    try add(LuaRead.string(L, -1) ?? "")
                    lua_settop(L, list)
                    k += 1
                }
                // A world whose texts tokenize to nothing would never fill the corpus.
                guard count > before else { throw fail(call, "\(what): World:sample gave no tokens") }
                round += 1
            }
        case LUA_TTABLE:
            guard try call.length(i) > 0 else { throw fail(call, "\(what) is an empty list") }
            try call.forEach(i) { k in
                guard let text = LuaRead.string(L, -1) else {
                    throw fail(call, "\(what)[\(k)] must be a string, got \(String(cString: lua_typename(L, lua_type(L, -1))))")
                }
                try add(text)
            }
        default:
            throw call.argError(idx, "\(what) (list of strings, file path, iterator function or discern.World)")
        }
        return out
    }

    /// The documents of a text file: blank-line-separated paragraphs when a blank line separates two non-blank
    /// lines, else one per non-blank line.
    static func documents(_ text: String) -> [String] {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        let isBlank = lines.map { $0.trimmingCharacters(in: .whitespaces).isEmpty }
        let content = isBlank.indices.filter { !isBlank[$0] }
        let separated = content.count > 1 && (content.first!...content.last!).contains { isBlank[$0] }
        guard separated else { return content.map { String(lines[$0]) } }
        var docs: [String] = [], current: [Substring] = []
        for line in lines {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !current.isEmpty { docs.append(current.joined(separator: "\n")) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { docs.append(current.joined(separator: "\n")) }
        return docs
    }

    nonisolated(unsafe) static let progressRecord = LuaRecordSpec<TranscoderTrainingProgress>(
        "discern.circuit.TrainTranscodersProgress", [
            .choice("event", \.event), .integer("step", \.step), .integer("total_steps", \.totalSteps),
            .integers("layers", \.layers, "0-based layers being trained"), .numbers("fvu", \.fvu, "per layer"),
            .numbers("l0", \.l0, "per layer"), .numbers("dead_fraction", \.deadFraction, "per layer"),
            .numbers("aux_loss", \.auxLoss, "per layer"), .number("lr", \.lr), .integer("tokens_seen", \.tokensSeen),
            .number("tokens_per_second", \.tokensPerSecond), .number("elapsed", \.elapsed),
            .string("checkpoint", \.checkpoint, "the checkpoint just written"),
        ])

    private static func pushProgress(_ call: LuaCall, _ p: TranscoderTrainingProgress) {
        try? progressRecord.push(p, call.L)
    }

    private static func pushMetrics(_ call: LuaCall, _ r: TranscoderTrainingResult, path: String?) throws {
        let L = call.L
        try JSONLua.push(L, .object(r.metricsJSON()))
        func set(_ key: String, _ push: () -> Void) {
            push()
            lua_setfield(L, -2, key)
        }
        set("stop_reason") { call.push(r.stopReason) }
        set("steps") { call.push(r.steps) }
        if let v = r.resumedFrom { set("resumed_from") { call.push(v) } }
        set("tokens_seen") { call.push(r.tokensSeen) }
        set("train_seconds") { call.push(r.trainSeconds) }
        set("config_hash") { call.push(r.configHash) }
        if let path { set("path") { call.push(path) } }
        lua_createtable(L, 0, 2)
        for (name, h) in [("fvu", r.fvuHistory), ("l0", r.l0History)] {
            lua_createtable(L, Int32(h.count), 0)
            for (k, row) in h.enumerated() {
                call.push(numbers: row)
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
            lua_setfield(L, -2, name)
        }
        lua_setfield(L, -2, "history")
    }
}
