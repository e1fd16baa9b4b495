import LuaKit
import Store
import Tensor

extension TorchError: LuaCodedError {
    public var luaCode: String { kind.rawValue }
    public var luaMessage: String { message }
}

extension StoreError: LuaCodedError {
    public var luaCode: String { code }
    public var luaMessage: String { message }
}

/// Error messages as Lua users read them.
enum LuaMessage {
    /// `message` without a leading Swift name and colon (`fisherExact: `, `BatchFDR.adjust: `,
    /// `generate: `): the binding's dispatcher prefixes the Lua name (`discern.stats.fisher_exact: `),
    /// so the Swift one would leak an internal name or repeat the Lua one. File names
    /// (`config.json: `), hook names (`blocks.0.hook_resid_pre: `) and phrases are kept.
    static func droppingSwiftName(_ message: String) -> String {
        guard let colon = message.range(of: ": ") else { return message }
        let name = message[..<colon.lowerBound]
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        func isIdentifier(_ s: Substring) -> Bool {
            guard let f = s.first, f.isASCII, f.isLetter || f == "_" else { return false }
            return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
        // `Type.method` only when it starts with an upper-case type name (not `config.json`).
        guard parts.allSatisfy(isIdentifier), parts.count == 1 || (parts.count == 2 && name.first!.isUppercase) else {
            return message
        }
        return String(message[colon.upperBound...])
    }
}
