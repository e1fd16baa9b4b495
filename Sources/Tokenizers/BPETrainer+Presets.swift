// The tokenizer.json components each BPETrainer preset produces (mirroring HF GPT-2, Llama-3, Qwen2).

import JSON

extension BPETrainer {
    /// The pipeline and tokenizer.json components of a preset.
    struct Preset {
        let kind: PreTokenizer

        init(_ kind: PreTokenizer) { self.kind = kind }

        private static func byteLevel(addPrefixSpace: Bool, trimOffsets: Bool, useRegex: Bool) -> JSONValue {
            .object(JSONObject([("type", .string("ByteLevel")), ("add_prefix_space", .bool(addPrefixSpace)),
                                ("trim_offsets", .bool(trimOffsets)), ("use_regex", .bool(useRegex))]))
        }

        private static func split(_ regex: String) -> JSONValue {
            .object(JSONObject([("type", .string("Split")),
                                ("pattern", .object(JSONObject([("Regex", .string(regex))]))),
                                ("behavior", .string("Isolated")), ("invert", .bool(false))]))
        }

        var normalizerJSON: JSONValue {
            kind == .qwen2 ? .object(JSONObject([("type", .string("NFC"))])) : .null
        }

        var preTokenizerJSON: JSONValue {
            switch kind {
            case .gpt2: return Self.byteLevel(addPrefixSpace: false, trimOffsets: true, useRegex: true)
            case .llama3, .qwen2:
                let regex = kind == .llama3 ? KnownPattern.llama3 : KnownPattern.qwen2
                return .object(JSONObject([
                    ("type", .string("Sequence")),
                    ("pretokenizers", .array([
                        Self.split(regex), Self.byteLevel(addPrefixSpace: false, trimOffsets: true, useRegex: false),
                    ])),
                ]))
            }
        }

        var decoderJSON: JSONValue { Self.byteLevel(addPrefixSpace: true, trimOffsets: true, useRegex: true) }

        func postProcessorJSON(bos: Int?) -> JSONValue {
            let byteLevel = Self.byteLevel(addPrefixSpace: true, trimOffsets: false, useRegex: true)
            guard kind == .llama3, let bos else { return byteLevel }
            let name = "<|begin_of_text|>"
            func special(_ typeId: Int) -> JSONValue {
                .object(JSONObject([("SpecialToken", .object(JSONObject([("id", .string(name)),
                                                                         ("type_id", .int(typeId))])))]))
            }
            func sequence(_ id: String, _ typeId: Int) -> JSONValue {
                .object(JSONObject([("Sequence", .object(JSONObject([("id", .string(id)),
                                                                     ("type_id", .int(typeId))])))]))
            }
            let template = JSONObject([
                ("type", .string("TemplateProcessing")),
                ("single", .array([special(0), sequence("A", 0)])),
                ("pair", .array([special(0), sequence("A", 0), special(1), sequence("B", 1)])),
                ("special_tokens", .object(JSONObject([(name, .object(JSONObject([
                    ("id", .string(name)), ("ids", .array([.int(bos)])), ("tokens", .array([.string(name)])),
                ])))]))),
            ])
            return .object(JSONObject([("type", .string("Sequence")),
                                       ("processors", .array([byteLevel, .object(template)]))]))
        }

        /// The normalizer and pre-tokenizer used to split training text.
        func pipeline(_ ctx: ConfigContext) throws(TokenizerError) -> (normalizer: Normalizer?,
                                                                        preTokenizer: Tokenizers.PreTokenizer) {
            let n = normalizerJSON.isNull ? nil : try Normalizer.parse(normalizerJSON, "normalizer", ctx)
            return (n, try Tokenizers.PreTokenizer.parse(preTokenizerJSON, "pre_tokenizer", ctx))
        }

        /// The complete tokenizer.json for a trained vocabulary.
        func document(vocab: [String], merges: [(String, String)], specialTokens: [String]) -> JSONValue {
            var seen = Set<TokenKey>()
            var added: [JSONValue] = []
            for t in specialTokens where seen.insert(TokenKey(t)).inserted {
                added.append(.object(JSONObject([
                    ("id", .int(vocab.firstIndex { $0.bytesEqual(t) } ?? 0)), ("content", .string(t)),
                    ("single_word", .bool(false)), ("lstrip", .bool(false)), ("rstrip", .bool(false)),
                    ("normalized", .bool(false)), ("special", .bool(true)),
                ])))
            }
            let bosName = "<|begin_of_text|>"
            let bos = specialTokens.contains { $0.bytesEqual(bosName) }
                ? vocab.firstIndex { $0.bytesEqual(bosName) } : nil
            var vocabObj = JSONObject()
            vocabObj.reserveCapacity(vocab.count)
            for (i, t) in vocab.enumerated() { vocabObj[t] = .int(i) }
            let needPairs = merges.contains { $0.0.contains(" ") || $0.1.contains(" ") }
            let model = JSONObject([
                ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null),
                ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)),
                ("byte_fallback", .bool(false)), ("ignore_merges", .bool(kind == .llama3)),
                ("vocab", .object(vocabObj)),
                ("merges", .array(merges.map {
                    needPairs ? .array([.string($0.0), .string($0.1)]) : .string("\($0.0) \($0.1)")
                })),
            ])
            return .object(JSONObject([
                ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array(added)),
                ("normalizer", normalizerJSON), ("pre_tokenizer", preTokenizerJSON),
                ("post_processor", postProcessorJSON(bos: bos)), ("decoder", decoderJSON), ("model", .object(model)),
            ]))
        }
    }
}
