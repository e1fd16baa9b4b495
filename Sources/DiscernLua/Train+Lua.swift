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
    // MARK: declarations

    /// What `model:train` reads: the Swift config plus the binding's own keys.
    struct TrainArgs {
        var config = TrainingConfig(steps: 0)
        var blockSize: Int?
        var pack = false
        var progress = true
    }
    typealias T = LuaField<TrainArgs>
    nonisolated(unsafe) static let trainSpec = LuaOptionSpec<TrainArgs>("discern.model.TrainOptions", prototype: TrainArgs(), [
        T.integer("steps", \.config.steps, "optimizer steps", in: 1...Int.max, required: true),
        T.integer("batch_size", \.config.batchSize, "examples per step", in: 1...Int.max),
        T.integer("grad_accumulation", \.config.gradAccumulation, "micro-batches per step", in: 1...Int.max),
        T.number("lr", \.config.lr, "peak learning rate", in: 0...1e3),
        T.number("min_lr", \.config.minLR, "learning rate at the end of the decay", in: 0...1e3),
        T.integer("warmup_steps", \.config.warmupSteps, "linear warm-up steps", in: 0...Int.max),
        T.choice("schedule", \.config.schedule, "decay after warm-up"),
        T.number("beta1", \.config.beta1, "AdamW β1", in: 0...1),
        T.number("beta2", \.config.beta2, "AdamW β2", in: 0...1),
        T.number("eps", \.config.eps, "AdamW ε", in: 0...1),
        T.number("weight_decay", \.config.weightDecay, "decoupled weight decay (weight matrices only)", in: 0...1e3),
        T.boolean("decay_biases", \.config.decayBiases, "decay biases too"),
        T.boolean("decay_norms", \.config.decayNorms, "decay norm weights too"),
        T.boolean("decay_embeddings", \.config.decayEmbeddings, "decay embeddings too"),
        T.numberOrOff("max_grad_norm", \.config.maxGradNorm, "gradient-norm clip", in: Double.leastNonzeroMagnitude...1e30),
        T.seed("seed", \.config.seed, "seed of the shuffling"),
        T.boolean("shuffle", \.config.shuffle, "shuffle the examples each epoch"),
        T.custom("eval_data", type: "string[]|table[]", "held-out examples (same forms as data)") { _, _ in },
        T.integer("eval_every", \.config.evalEvery, "steps between held-out losses", in: 1...Int.max),
        T.integer("eval_examples", \.config.evalExamples, "held-out examples used", in: 1...Int.max, default: "all"),
        T.string("checkpoint_dir", \.config.checkpointDir, "where checkpoints go; a rerun resumes from them"),
        T.integer("checkpoint_every", \.config.checkpointEvery, "steps between checkpoints", in: 1...Int.max),
        T.integer("keep_checkpoints", \.config.keepCheckpoints, "checkpoints kept", in: 1...Int.max),
        T.boolean("resume", \.config.resume, "resume from checkpoint_dir when it holds a checkpoint"),
        T.number("max_seconds", \.config.maxSeconds, "stop (with a checkpoint) after this long", in: 0...1e12),
        T.integer("block_size", \.blockSize, "tokens per example", in: 2...Int.max, default: "n_ctx"),
        T.boolean("pack", \.pack, "pack the examples into block_size blocks"),
        T.boolean("progress", \.progress, "show a progress bar", default: "true (on a terminal)"),
        T.custom("on_progress", type: "fun(p: discern.model.TrainProgress): boolean?", "called with progress; return false to stop") { _, _ in },
    ])

    nonisolated(unsafe) static let evalPoint = LuaRecordSpec<EvalPoint>("discern.model.EvalPoint", [
        .integer("step", \.step), .number("loss", \.loss, "held-out next-token loss"),
    ])
    nonisolated(unsafe) static let trainResult = LuaRecordSpec<TrainingResult>("discern.model.TrainResult", [
        .string("stop_reason", \.stopReason, "completed, max_seconds, stopped or interrupted"), .integer("steps", \.steps),
        .integer("resumed_from", \.resumedFrom, "the step a checkpoint resumed from"), .numbers("losses", \.losses, "loss per step"),
        .records("eval_losses", \.evalLosses, evalPoint), .integer("tokens_seen", \.tokensSeen),
        .number("train_seconds", \.trainSeconds), .number("tokens_per_second", \.tokensPerSecond),
        .string("config_hash", \.configHash, "hash of model, data and options (what a resume checks)"),
    ])
    nonisolated(unsafe) static let progress = LuaRecordSpec<TrainingProgress>("discern.model.TrainProgress", [
        .choice("event", \.event, "step, eval, checkpoint or resumed"), .integer("step", \.step), .integer("total_steps", \.totalSteps),
        .number("epoch", \.epoch), .number("loss", \.loss), .number("lr", \.lr), .number("grad_norm", \.gradNorm),
        .number("tokens_per_second", \.tokensPerSecond), .integer("tokens_seen", \.tokensSeen), .number("eval_loss", \.evalLoss),
        .number("elapsed", \.elapsed), .string("checkpoint", \.checkpoint, "the checkpoint just written"),
    ])
    nonisolated(unsafe) static let diffEntry = LuaRecordSpec<WeightDiff.Entry>("discern.model.WeightDiffEntry", [
        .string("name", \.name), .integers("shape", \.shape), .integer("layer", \.layer, "0-based; nil for embeddings and the final norm"),
        .number("norm", \.norm, "‖A‖_F"), .number("diff_norm", \.diffNorm, "‖A−B‖_F"), .number("relative_norm", \.relativeNorm),
        .numbers("singular_values", \.singularValues, "top-k of A−B"), .number("effective_rank", \.effectiveRank),
        .number("stable_rank", \.stableRank),
    ])
    nonisolated(unsafe) static let diffLayer = LuaRecordSpec<WeightDiff.Layer>("discern.model.WeightDiffLayer", [
        .integer("layer", \.layer), .string("label", \.label), .number("relative_norm", \.relativeNorm),
        .number("diff_norm", \.diffNorm), .strings("parameters", \.parameters),
    ])
    nonisolated(unsafe) static let weightDiff = LuaRecordSpec<WeightDiff.Report>("discern.model.WeightDiff", [
        .records("entries", \.entries, diffEntry), .records("layers", \.layers, diffLayer, "most changed first"),
    ])

    struct InitConfig {
        var nLayers = 0, dModel = 0, nHeads = 0, nCtx = 0
        var dVocab: Int?, dMLP: Int?
        var activation = "gelu_new"
        var bosTokenId: Int?, eosTokenId: Int?
    }
    typealias I = LuaField<InitConfig>
    nonisolated(unsafe) static let initSpec = LuaOptionSpec<InitConfig>("discern.model.InitConfig", prototype: InitConfig(), [
        I.integer("n_layers", \.nLayers, "layers", in: 1...Int.max, required: true),
        I.integer("d_model", \.dModel, "residual width", in: 1...Int.max, required: true),
        I.integer("n_heads", \.nHeads, "attention heads", in: 1...Int.max, required: true),
        I.integer("n_ctx", \.nCtx, "context length", in: 1...Int.max, required: true),
        I.integer("d_vocab", \.dVocab, "vocabulary size", in: 1...Int.max, default: "the tokenizer's size"),
        I.integer("d_mlp", \.dMLP, "MLP width", in: 1...Int.max, default: "4·d_model"),
        I.string("activation", \.activation, "MLP activation (HF name)"),
        I.integer("bos_token_id", \.bosTokenId, "BOS id", in: 0...Int.max),
        I.integer("eos_token_id", \.eosTokenId, "EOS id", in: 0...Int.max),
    ])
    struct InitOptions {
        var seed: UInt64 = 0
        var dtype = "float32"
    }
    nonisolated(unsafe) static let initOptions = LuaOptionSpec<InitOptions>("discern.model.InitOptions", prototype: InitOptions(), [
        .seed("seed", \.seed, "initialisation seed"),
        .custom("tokenizer", type: "discern.Tokenizer", "the tokenizer the model keeps") { _, _ in },
        .string("dtype", \.dtype, "parameter dtype"),
    ])
    nonisolated(unsafe) static let loraSpec = LuaOptionSpec<LoRAConfig>("discern.model.LoRAOptions", prototype: LoRAConfig(), [
        .integer("rank", \.rank, "adapter rank", in: 1...Int.max),
        .number("alpha", \.alpha, "scale numerator (scale = alpha/rank)", in: 0...1e9, default: "rank"),
        .strings("targets", \.targetsOrNil, "module names or suffixes to adapt (as PEFT)", default: "{\"attn.c_attn\"}"),
        .integers("layers", \.layers, "0-based layers", in: 0...Int.max, default: "all"),
        .boolean("rslora", \.rsLoRA, "scale alpha/√rank (rsLoRA)"),
        .seed("seed", \.seed, "initialisation seed"),
    ])

    // MARK: module functions

    static func define(_ state: LuaState, _ mod: Int32) {
        let m = LuaModuleBuilder(state, "discern.model", at: mod)
        m.function("init", "(config: discern.model.InitConfig, opts?: discern.model.InitOptions) -> discern.Model", """
            A GPT-2 with fresh weights initialised as HF does (normal(0, 0.02), residual projections scaled by
            1/sqrt(2·n_layers), tied embeddings).
            """, options: initOptions) { call in
            try call.checkTable(1)
            var c = InitConfig()
            try initSpec.decode(call, at: 1, into: &c)
            var o = InitOptions()
            let raw = try initOptions.decode(call, at: 2, into: &o)
            var tokenizer: Tokenizer?
            if let raw, try raw.push("tokenizer") != LUA_TNIL {
                defer { dlua_pop(call.L, 1) }
                tokenizer = try TokenizerLua.cls.check(call, lua_gettop(call.L))
            } else if raw != nil {
                dlua_pop(call.L, 1)
            }
            guard let vocab = c.dVocab ?? tokenizer?.vocabSize else {
                throw LuaError(code: "arg", "\(call.name): config field 'd_vocab' is required when no tokenizer is given")
            }
            let config = try ModelConfig.gpt2(nLayers: c.nLayers, dModel: c.dModel, nHeads: c.nHeads, dVocab: vocab, nCtx: c.nCtx,
                                              dMLP: c.dMLP, activation: c.activation, bosTokenId: c.bosTokenId, eosTokenId: c.eosTokenId)
            ModelLua.cls.push(call.L, try Transformer.initialized(config: config, seed: o.seed, tokenizer: tokenizer,
                                                                 dtype: try DType.parse(o.dtype)))
            return 1
        }
        struct DiffOptions { var topK = 8 }
        let diffOptions = LuaOptionSpec<DiffOptions>("discern.model.WeightDiffOptions", prototype: DiffOptions(), [
            .integer("top_k", \.topK, "singular values kept per matrix", in: 1...Int.max),
        ])
        m.function("weight_diff", "(a: discern.Model, b: discern.Model, opts?: discern.model.WeightDiffOptions) -> discern.model.WeightDiff", """
            Per parameter matrix of two same-shaped models: ‖A−B‖_F/‖A‖_F, the top-k singular values of A−B, its effective
            rank (Roy & Vetterli: exp of the entropy of the normalised singular values) and stable rank; layers are ranked by
            how much they changed (most first). Layers are 0-based (nil for embeddings and the final norm).
            """, options: diffOptions) { call in
            let a = try ModelLua.cls.check(call, 1), b = try ModelLua.cls.check(call, 2)
            var o = DiffOptions()
            try diffOptions.decode(call, at: 3, into: &o)
            return try call.push(try WeightDiff.compare(a, b, topK: o.topK), weightDiff)
        }
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

    static func defineMethods(_ cls: LuaClass<Transformer>) {
        cls.method("train", "(data: string[]|table[], opts: discern.model.TrainOptions) -> discern.model.TrainResult", """
            Trains in place with AdamW (decoupled weight decay on weight matrices only), warmup + decay and gradient clipping.
            data: a list of strings (one example each, or packed into block_size blocks with pack = true) or of
            {prompt =, completion =} tables (only the completion is scored). With checkpoint_dir, checkpoints are written
            atomically and a rerun with the same model, data and options resumes from the newest one (bit-identical to an
            uninterrupted run). Ctrl-C stops after the current step with a checkpoint and raises 'interrupted'.
            """, options: trainSpec.name) { call, m in
            var a = TrainArgs()
            let o = try trainSpec.decode(call, at: 3, into: &a)
            let blockSize = a.blockSize ?? m.config.nCtx
            let data = try dataset(call, m, 2, blockSize: blockSize, pack: a.pack, what: "data")
            var evalData: TokenDataset?
            if let o, try o.push("eval_data") != LUA_TNIL {
                defer { dlua_pop(call.L, 1) }
                evalData = try dataset(call, m, lua_gettop(call.L), blockSize: blockSize, pack: a.pack, what: "eval_data")
            } else if o != nil {
                dlua_pop(call.L, 1)
            }
            let c = a.config
            let trainer = try Trainer(model: m, data: data, evalData: evalData, config: c)
            let control = try LuaProgressControl(call, o)
            let bar = a.progress ? ProgressBar(label: "train") : nil
            trainer.onProgress = { p in
                if p.event == .step {
                    let loss = p.loss.map { String(format: "loss %.4f", $0) } ?? ""
                    bar?.update(p.step, p.totalSteps, extra: "\(loss)  \(Int(p.tokensPerSecond)) tok/s")
                }
                try control.report { try? progress.push(p, call.L) }
            }
            trainer.shouldStop = { _ in control.shouldStop }
            let r = try trainer.run()
            bar?.finish()
            try control.throwIfInterrupted("after step \(r.steps)"
                + (c.checkpointDir.map { "; checkpoint in \($0), rerun the same call to resume" } ?? " (no checkpoint_dir: progress is in the model's weights only)"))
            return try call.push(r, trainResult)
        }
        struct LossOptions {
            var batchSize = 8
            var blockSize: Int?
            var pack = false
            var maxExamples: Int?
        }
        let lossOptions = LuaOptionSpec<LossOptions>("discern.model.LossOptions", prototype: LossOptions(), [
            .integer("batch_size", \.batchSize, "examples per forward pass", in: 1...Int.max),
            .integer("block_size", \.blockSize, "tokens per example", in: 2...Int.max, default: "n_ctx"),
            .boolean("pack", \.pack, "pack the examples into block_size blocks"),
            .integer("max_examples", \.maxExamples, "examples scored", in: 1...Int.max, default: "all"),
        ])
        cls.method("loss", "(data: string[]|table[], opts?: discern.model.LossOptions) -> number", """
            The mean next-token cross-entropy over the scored targets of data (strings or {prompt =, completion =} pairs, as
            model:train).
            """, options: lossOptions.name) { call, m in
            var o = LossOptions()
            try lossOptions.decode(call, at: 3, into: &o)
            let data = try dataset(call, m, 2, blockSize: o.blockSize ?? m.config.nCtx, pack: o.pack, what: "data")
            call.push(try m.meanNextTokenLoss(data, batchSize: o.batchSize, maxExamples: o.maxExamples))
            return 1
        }
        cls.method("add_lora", "(opts?: discern.model.LoRAOptions) -> string[]", """
            LoRA adapters (A Kaiming-uniform, B zero, as PEFT) on the target modules; returns the adapted module names.
            model:train then updates only them; model:save and model:merge_lora fold them into the weights.
            """, options: loraSpec.name) { call, m in
            var cfg = LoRAConfig()
            let o = try loraSpec.decode(call, at: 2, into: &cfg)
            if try o?.has("alpha") != true { cfg.alpha = Double(cfg.rank) }
            call.push(strings: try m.addLoRA(cfg))
            return 1
        }
        cls.method("merge_lora", "()", "Folds the LoRA adapters into the weights and removes them.") { call, m in
            try m.mergeLoRA()
            return 0
        }
        cls.method("remove_lora", "()", "Drops the LoRA adapters (the weights are as before add_lora).") { call, m in
            try m.removeLoRA()
            return 0
        }
    }
}

extension LoRAConfig {
    /// `targets` as an optional, for the option declaration (nil keeps the default).
    var targetsOrNil: [String]? {
        get { targets }
        set { if let newValue { targets = newValue } }
    }
}
