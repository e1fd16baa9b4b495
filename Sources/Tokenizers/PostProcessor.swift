// Post-processors: add special tokens around a single encoded sequence.

import JSON

/// A tokenizer.json post-processor, reduced to what it does to the ids of one sequence.
indirect enum PostProcessor: Sendable {
    /// ByteLevel only adjusts offsets: ids are unchanged.
    case byteLevel
    /// A single-sequence template: `nil` stands for the sequence, other entries are special token ids.
    case template([[Int]?])
    /// `[CLS] ids [SEP]` (BertProcessing and RobertaProcessing).
    case wrap(cls: Int, sep: Int)
    case sequence([PostProcessor])

    static let supported = ["BertProcessing", "ByteLevel", "RobertaProcessing", "Sequence", "TemplateProcessing"]

    /// Parses a post-processor object.
    static func parse(_ value: JSONValue, _ path: String,
                      _ ctx: ConfigContext) throws(TokenizerError) -> PostProcessor {
        let obj = try ctx.object(value, path)
        let type = try ctx.type(obj, path)
        switch type {
        case "ByteLevel": return .byteLevel
        case "BertProcessing", "RobertaProcessing":
            func pair(_ key: String) throws(TokenizerError) -> Int {
                let a = try ctx.array(obj[key], "\(path).\(key)")
                guard a.count == 2 else { throw ctx.invalid("\(path).\(key)", "must be [token, id]") }
                return try ctx.tokenId(a[1], "\(path).\(key)[1]")
            }
            return .wrap(cls: try pair("cls"), sep: try pair("sep"))
        case "TemplateProcessing":
            let specials = try ctx.object(obj["special_tokens"] ?? .object(JSONObject()), path + ".special_tokens")
            var ids: [String: [Int]] = [:]
            for (k, v) in specials.pairs {
                let o = try ctx.object(v, "\(path).special_tokens[\"\(k)\"]")
                let list = try ctx.array(o["ids"], "\(path).special_tokens[\"\(k)\"].ids")
                var out: [Int] = []
                for (i, x) in list.enumerated() {
                    out.append(try ctx.tokenId(x, "\(path).special_tokens[\"\(k)\"].ids[\(i)]"))
                }
                ids[k] = out
            }
            let items = try ctx.array(obj["single"], path + ".single")
            var pieces: [[Int]?] = []
            for (i, item) in items.enumerated() {
                let p = "\(path).single[\(i)]"
                var isSequence = false
                var special: String? = nil
                switch item {
                case .string(let s):
                    let name = String(s.split(separator: ":", maxSplits: 1).first ?? "")
                    if name.hasPrefix("$") { isSequence = true } else { special = name }
                case .object(let o):
                    if let seq = o["Sequence"] {
                        let id = try ctx.string(try ctx.object(seq, p + ".Sequence")["id"], p + ".Sequence.id")
                        guard id == "A" else { throw ctx.invalid(p, "refers to sequence \(id) in the single template") }
                        isSequence = true
                    } else if let sp = o["SpecialToken"] {
                        special = try ctx.string(try ctx.object(sp, p + ".SpecialToken")["id"], p + ".SpecialToken.id")
                    } else {
                        throw ctx.invalid(p, "must be {\"Sequence\": ...} or {\"SpecialToken\": ...}")
                    }
                default:
                    throw ctx.invalid(p, "must be an object or a string, not \(item.typeName)")
                }
                if isSequence {
                    pieces.append(nil)
                } else if let special {
                    guard let tokenIds = ids[special] else {
                        throw ctx.invalid(p, "uses special token \"\(special)\", which is missing from special_tokens")
                    }
                    pieces.append(tokenIds)
                }
            }
            return .template(pieces)
        case "Sequence":
            return .sequence(try ctx.list(obj, "processors", path) { (item, p) throws(TokenizerError) in try parse(item, p, ctx) })
        default:
            throw ctx.unsupported(path + ".type", type, supported: supported)
        }
    }

    /// Adds the special tokens of a single sequence.
    func apply(_ ids: [Int]) -> [Int] {
        switch self {
        case .byteLevel: return ids
        case let .wrap(cls, sep): return [cls] + ids + [sep]
        case .template(let pieces):
            var out: [Int] = []
            out.reserveCapacity(ids.count + 4)
            for p in pieces {
                if let p { out.append(contentsOf: p) } else { out.append(contentsOf: ids) }
            }
            return out
        case .sequence(let items):
            var t = ids
            for item in items { t = item.apply(t) }
            return t
        }
    }
}
