import CLua
import Foundation
import LuaKit
import Models
import Tensor
import Tokenizers

extension TrainingError: LuaCodedError {
    public var luaCode: String { kind.rawValue == "option" ? "arg" : "train" }
    public var luaMessage: String { message }
}

/// Lua bindings for training: `discern.model.init`, `discern.model.weight_diff`, and the
/// `model:train`, `model:loss`, `model:add_lora`, `model:merge_lora`, `model:remove_lora` methods.
enum TrainLua {
    static let trainOptions = ["steps", "batch_size", "grad_accumulation", "lr", "min_lr", "warmup_steps", "schedule",
                               "beta1", "beta2", "eps", "weight_decay", "decay_biases", "decay_norms", "decay_embeddings",
                               "max_grad_norm", "seed", "shuffle", "eval_data", "eval_every", "eval_examples",
                               "checkpoint_dir", "checkpoint_every", "keep_checkpoints", "resume", "max_seconds",
                               "block_size", "pack", "progress", "on_progress"]

    // MARK: module functions

    static func define(_ state: LuaState, _ mod: Int32) {
        state.setFunction(in: mod, "init", qualifiedName: "discern.model.init", doc: """
            discern.model.init({n_layers =, d_model =, n_heads =, n_ctx =, d_vocab = tokenizer's size, d_mlp = 4·d_model,
              activation = "gelu_new", bos_token_id =, eos_token_id =}, {seed = 0, tokenizer =, dtype = "float32"})
              -> discern.Model: a GPT-2 with fresh weights initialised as HF does (normal(0, 0.02), residual projections
              scaled by 1/sqrt(2·n_layers), tied embeddings).
            """) { call in
            try call.checkTable(1)
            let c = try call.options(1, allowed: ["n_layers", "d_model", "n_heads", "n_ctx", "d_vocab", "d_mlp", "activation",
                                                  "bos_token_id", "eos_token_id"])!
            let o = try call.options(2, allowed: ["seed", "tokenizer", "dtype"])
            var tokenizer: Tokenizer?
            if let o, try o.has("tokenizer") {
                _ = try o.push("tokenizer")
                defer { dlua_pop(call.L, 1) }
                tokenizer = try TokenizerLua.cls.check(call, lua_gettop(call.L))
            }
            func need(_ key: String) throws -> Int {
                guard let v = try c.integer(key) else { throw LuaError(code: "arg", "\(call.name): config field '\(key)' (an integer) is required") }
                return v
            }
            guard let vocab = try c.integer("d_vocab") ?? tokenizer?.vocabSize else {
                throw LuaError(code: "arg", "\(call.name): config field 'd_vocab' is required when no tokenizer is given")
            }
            let config = try ModelConfig.gpt2(nLayers: try need("n_layers"), dModel: try need("d_model"), nHeads: try need("n_heads"),
                                              dVocab: vocab, nCtx: try need("n_ctx"), dMLP: try c.integer("d_mlp"),
                                              activation: try c.string("activation") ?? "gelu_new",
                                              bosTokenId: try c.integer("bos_token_id"), eosTokenId: try c.integer("eos_token_id"))
            let seed = try o?.integer("seed") ?? 0
            guard seed >= 0 else { throw LuaError(code: "arg", "\(call.name): option 'seed' must be a non-negative integer") }
            let dtype = try DType.parse(try o?.string("dtype") ?? "float32")
            ModelLua.cls.push(call.L, try Transformer.initialized(config: config, seed: UInt64(seed), tokenizer: tokenizer, dtype: dtype))
            return 1
        }
        state.setFunction(in: mod, "weight_diff", qualifiedName: "discern.model.weight_diff", doc: """
            discern.model.weight_diff(a, b, {top_k = 8}) -> {entries = {{name, shape, layer, norm, diff_norm, relative_norm,
              singular_values, effective_rank, stable_rank}…}, layers = {{layer, label, relative_norm, diff_norm, parameters}…}}
            Per parameter matrix of two same-shaped models: ‖A−B‖_F/‖A‖_F, the top-k singular values of A−B, its effective
            rank (Roy & Vetterli: exp of the entropy of the normalised singular values) and stable rank; layers are ranked by
            how much they changed (most first). Layers are 0-based (nil for embeddings and the final norm).
            """) { call in
            let a = try ModelLua.cls.check(call, 1), b = try ModelLua.cls.check(call, 2)
            let o = try call.options(3, allowed: ["top_k"])
            let r = try WeightDiff.compare(a, b, topK: try o?.integer("top_k") ?? 8)
            pushWeightDiff(call, r)
            return 1
        }
    }

    static func pushWeightDiff(_ call: LuaCall, _ r: WeightDiff.Report) {
        let L = call.L
        lua_createtable(L, 0, 2)
        lua_createtable(L, Int32(r.entries.count), 0)
        for (i, e) in r.entries.enumerated() {
            let t = StatsTestsLua.Table(call, 9)
            t.set("name", e.name)
            call.push(list: e.shape)
            lua_setfield(L, -2, "shape")
            if let l = e.layer { t.set("layer", l) }
            t.set("norm", e.norm)
            t.set("diff_norm", e.diffNorm)
            t.set("relative_norm", e.relativeNorm)
            call.push(numbers: e.singularValues)
            lua_setfield(L, -2, "singular_values")
            if let v = e.effectiveRank { t.set("effective_rank", v) }
            if let v = e.stableRank { t.set("stable_rank", v) }
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_setfield(L, -2, "entries")
        lua_createtable(L, Int32(r.layers.count), 0)
        for (i, l) in r.layers.enumerated() {
            let t = StatsTestsLua.Table(call, 5)
            if let n = l.layer { t.set("layer", n) }
            t.set("label", l.label)
            t.set("relative_norm", l.relativeNorm)
            t.set("diff_norm", l.diffNorm)
            call.push(strings: l.parameters)
            lua_setfield(L, -2, "parameters")
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_setfield(L, -2, "layers")
    }

    // MARK: data

    /// Training examples from a Lua list at index i: strings, or {prompt =, completion =} pairs
    /// (only the completion's tokens are scored).
    static func dataset(_ call: LuaCall, _ m: Transformer, _ i: Int32, blockSize: Int, pack: Bool, what: String) throws -> TokenDataset {
        let L = call.L
        guard let tok = m.tokenizer else {
            throw LuaError(code: "arg", "\(call.name): the model has no tokenizer; give it one (discern.model.init{…}, {tokenizer = …})")
        }
        guard lua_type(L, i) == LUA_TTABLE else { throw LuaError(code: "arg", "\(call.name): \(what) must be a list of strings or of {prompt =, completion =} tables") }
        guard try call.length(i) > 0 else { throw LuaError(code: "arg", "\(call.name): \(what) is empty") }
        var sequences: [[Int]] = []
        var masks: [[Bool]] = []
        var paired = false
        try call.forEach(i) { k in
            switch lua_type(L, -1) {
            case LUA_TSTRING:
                if paired { throw LuaError(code: "arg", "\(call.name): \(what)[\(k)] is a string, but earlier entries are {prompt, completion} pairs") }
                sequences.append(tok.encode(LuaRead.string(L, -1) ?? "", addSpecialTokens: false))
            case LUA_TTABLE:
                if k > 1 && !paired { throw LuaError(code: "arg", "\(call.name): \(what)[\(k)] is a table, but earlier entries are strings") }
                paired = true
                try LuaRead.field(L, -1, "prompt", call.name)
                try LuaRead.field(L, -2, "completion", call.name)
                defer { dlua_pop(L, 2) }
                guard lua_type(L, -2) == LUA_TSTRING, lua_type(L, -1) == LUA_TSTRING else {
                    throw LuaError(code: "arg", "\(call.name): \(what)[\(k)] must have string fields prompt and completion")
                }
                let p = tok.encode(LuaRead.string(L, -2) ?? "", addSpecialTokens: false)
                let c = tok.encode(LuaRead.string(L, -1) ?? "", addSpecialTokens: false)
                sequences.append(p + c)
                masks.append([Bool](repeating: false, count: p.count) + [Bool](repeating: true, count: c.count))
            default:
                throw LuaError(code: "arg", "\(call.name): \(what)[\(k)] must be a string or a {prompt =, completion =} table, got \(String(cString: lua_typename(L, lua_type(L, -1))))")
            }
        }
        if pack {
            guard !paired else { throw LuaError(code: "arg", "\(call.name): pack = true needs plain strings, not prompt/completion pairs") }
            return try TokenDataset.packed(documents: sequences, separator: m.config.eosTokenIds.first, blockSize: blockSize)
        }
        return try TokenDataset.sequences(sequences, scored: paired ? masks : nil, blockSize: blockSize)
    }

    // MARK: methods

    static func pushProgress(_ call: LuaCall, _ p: TrainingProgress) {
        let t = StatsTestsLua.Table(call, 11)
        t.set("event", p.event.rawValue)
        t.set("step", p.step)
        t.set("total_steps", p.totalSteps)
        t.set("epoch", p.epoch)
        if let v = p.loss { t.set("loss", v) }
        t.set("lr", p.lr)
        if let v = p.gradNorm { t.set("grad_norm", v) }
        t.set("tokens_per_second", p.tokensPerSecond)
        t.set("tokens_seen", p.tokensSeen)
        if let v = p.evalLoss { t.set("eval_loss", v) }
        t.set("elapsed", p.elapsed)
        if let c = p.checkpoint { t.set("checkpoint", c) }
    }

    static func defineMethods(_ cls: LuaClass<Transformer>) {
        cls.method("train", doc: """
            model:train(data, {steps =, batch_size = 8, lr = 1e-3, min_lr = 0, warmup_steps = 0, schedule = "cosine"|"linear"|"constant",
              weight_decay = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, max_grad_norm = 1.0, grad_accumulation = 1, seed = 0,
              shuffle = true, block_size = n_ctx, pack = false, eval_data =, eval_every =, eval_examples =, checkpoint_dir =,
              checkpoint_every =, keep_checkpoints = 2, resume = true, max_seconds =, progress = (on a terminal),
              on_progress = fn(table) -> false to stop}) -> {stop_reason, steps, resumed_from, losses, eval_losses, tokens_seen,
              train_seconds, tokens_per_second, config_hash}
            Trains in place with AdamW (decoupled weight decay on weight matrices only), warmup + decay and gradient clipping.
            data: a list of strings (one example each, or packed into block_size blocks with pack = true) or of
            {prompt =, completion =} tables (only the completion is scored). With checkpoint_dir, checkpoints are written
            atomically and a rerun with the same model, data and options resumes from the newest one (bit-identical to an
            uninterrupted run). Ctrl-C stops after the current step with a checkpoint and raises 'interrupted'.
            """) { call, m in
            let o = try call.options(3, allowed: trainOptions)
            guard let o, let steps = try o.integer("steps") else {
                throw LuaError(code: "arg", "\(call.name): option 'steps' (the number of optimizer steps) is required")
            }
            let blockSize = try o.integer("block_size") ?? m.config.nCtx
            let pack = try o.bool("pack") ?? false
            let data = try dataset(call, m, 2, blockSize: blockSize, pack: pack, what: "data")
            var evalData: TokenDataset?
            if try o.has("eval_data") {
                _ = try o.push("eval_data")
                defer { dlua_pop(call.L, 1) }
                evalData = try dataset(call, m, lua_gettop(call.L), blockSize: blockSize, pack: pack, what: "eval_data")
            }
            var c = TrainingConfig(steps: steps)
            c.batchSize = try o.integer("batch_size") ?? c.batchSize
            c.gradAccumulation = try o.integer("grad_accumulation") ?? c.gradAccumulation
            c.lr = try o.number("lr") ?? c.lr
            c.minLR = try o.number("min_lr") ?? c.minLR
            c.warmupSteps = try o.integer("warmup_steps") ?? c.warmupSteps
            if let s = try o.string("schedule") {
                guard let shape = LRSchedule.Shape(rawValue: s) else {
                    throw LuaError(code: "arg", "\(call.name): schedule must be \"cosine\", \"linear\" or \"constant\", got \"\(s)\"")
                }
                c.schedule = shape
            }
            c.beta1 = try o.number("beta1") ?? c.beta1
            c.beta2 = try o.number("beta2") ?? c.beta2
            c.eps = try o.number("eps") ?? c.eps
            c.weightDecay = try o.number("weight_decay") ?? c.weightDecay
            c.decayBiases = try o.bool("decay_biases") ?? c.decayBiases
            c.decayNorms = try o.bool("decay_norms") ?? c.decayNorms
            c.decayEmbeddings = try o.bool("decay_embeddings") ?? c.decayEmbeddings
            if try o.has("max_grad_norm") {
                // false disables clipping.
                if try o.push("max_grad_norm") == LUA_TBOOLEAN, lua_toboolean(call.L, -1) == 0 {
                    c.maxGradNorm = nil
                    dlua_pop(call.L, 1)
                } else {
                    dlua_pop(call.L, 1)
                    c.maxGradNorm = try o.number("max_grad_norm")
                }
            }
            let seed = try o.integer("seed") ?? 0
            guard seed >= 0 else { throw LuaError(code: "arg", "\(call.name): option 'seed' must be a non-negative integer") }
            c.seed = UInt64(seed)
            c.shuffle = try o.bool("shuffle") ?? c.shuffle
            c.evalEvery = try o.integer("eval_every")
            c.evalExamples = try o.integer("eval_examples")
            c.checkpointDir = try o.string("checkpoint_dir")
            c.checkpointEvery = try o.integer("checkpoint_every")
            c.keepCheckpoints = try o.integer("keep_checkpoints") ?? c.keepCheckpoints
            c.resume = try o.bool("resume") ?? c.resume
            c.maxSeconds = try o.number("max_seconds")

            let trainer = try Trainer(model: m, data: data, evalData: evalData, config: c)
            let L = call.L
            let control = try LuaProgressControl(call, o)
            let bar = (try o.bool("progress") ?? true) ? ProgressBar(label: "train") : nil
            trainer.onProgress = { p in
                if p.event == .step {
                    let loss = p.loss.map { String(format: "loss %.4f", $0) } ?? ""
                    bar?.update(p.step, p.totalSteps, extra: "\(loss)  \(Int(p.tokensPerSecond)) tok/s")
                }
                try control.report { pushProgress(call, p) }
            }
            trainer.shouldStop = { _ in control.shouldStop }
            let r = try trainer.run()
            bar?.finish()
            try control.throwIfInterrupted("after step \(r.steps)"
                + (c.checkpointDir.map { "; checkpoint in \($0), rerun the same call to resume" } ?? " (no checkpoint_dir: progress is in the model's weights only)"))
            let t = StatsTestsLua.Table(call, 10)
            t.set("stop_reason", r.stopReason)
            t.set("steps", r.steps)
            if let v = r.resumedFrom { t.set("resumed_from", v) }
            call.push(numbers: r.losses)
            lua_setfield(L, -2, "losses")
            lua_createtable(L, Int32(r.evalLosses.count), 0)
            for (k, e) in r.evalLosses.enumerated() {
                let et = StatsTestsLua.Table(call, 2)
                et.set("step", e.step)
                et.set("loss", e.loss)
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
            lua_setfield(L, -2, "eval_losses")
            t.set("tokens_seen", r.tokensSeen)
            t.set("train_seconds", r.trainSeconds)
            t.set("tokens_per_second", r.tokensPerSecond)
            t.set("config_hash", r.configHash)
            return 1
        }
        cls.method("loss", doc: """
            model:loss(data, {batch_size = 8, block_size = n_ctx, pack = false, max_examples =}) -> the mean next-token
            cross-entropy over the scored targets of data (strings or {prompt =, completion =} pairs, as model:train).
            """) { call, m in
            let o = try call.options(3, allowed: ["batch_size", "block_size", "pack", "max_examples"])
            let data = try dataset(call, m, 2, blockSize: try o?.integer("block_size") ?? m.config.nCtx,
                                   pack: try o?.bool("pack") ?? false, what: "data")
            call.push(try m.meanNextTokenLoss(data, batchSize: try o?.integer("batch_size") ?? 8, maxExamples: try o?.integer("max_examples")))
            return 1
        }
        cls.method("add_lora", doc: """
            model:add_lora{rank = 8, alpha = 8, targets = {"attn.c_attn"}, layers = {0-based…}, rslora = false, seed = 0}
              -> list of adapted module names. LoRA adapters (A Kaiming-uniform, B zero, as PEFT); model:train then updates only
              them; model:save and model:merge_lora fold them into the weights.
            """) { call, m in
            let o = try call.options(2, allowed: ["rank", "alpha", "targets", "layers", "rslora", "seed"])
            var cfg = LoRAConfig()
            cfg.rank = try o?.integer("rank") ?? cfg.rank
            cfg.alpha = try o?.number("alpha") ?? Double(cfg.rank)
            if let o, try o.has("targets") {
                _ = try o.push("targets")
                defer { dlua_pop(call.L, 1) }
                cfg.targets = try ModelLua.stringList(call, lua_gettop(call.L))
            }
            if let o, try o.has("layers") {
                _ = try o.push("layers")
                defer { dlua_pop(call.L, 1) }
                cfg.layers = try call.integerList(lua_gettop(call.L))
            }
            cfg.rsLoRA = try o?.bool("rslora") ?? false
            let seed = try o?.integer("seed") ?? 0
            guard seed >= 0 else { throw LuaError(code: "arg", "\(call.name): option 'seed' must be a non-negative integer") }
            cfg.seed = UInt64(seed)
            call.push(strings: try m.addLoRA(cfg))
            return 1
        }
        cls.method("merge_lora", doc: "model:merge_lora(): folds the LoRA adapters into the weights and removes them.") { call, m in
            try m.mergeLoRA()
            return 0
        }
        cls.method("remove_lora", doc: "model:remove_lora(): drops the LoRA adapters (the weights are as before add_lora).") { call, m in
            try m.removeLoRA()
            return 0
        }
    }
}
