import Synchronization

/// One field of an options table or result record, as docs and LuaCATS stubs show it.
public struct LuaAPIField: Sendable, Equatable {
    /// The key.
    public let key: String
    /// The LuaCATS type.
    public let type: String
    /// What it means.
    public let doc: String
    /// Whether it may be absent.
    public let optional: Bool
    /// The default as users read it, when there is one.
    public let defaultText: String?

    /// Creates a field description.
    public init(key: String, type: String, doc: String, optional: Bool, defaultText: String? = nil) {
        self.key = key
        self.type = type
        self.doc = doc
        self.optional = optional
        self.defaultText = defaultText
    }

    /// `key: type = default — doc` (one help line).
    public var helpLine: String {
        var s = "  \(key): \(type)"
        if let d = defaultText { s += " = \(d)" } else if !optional { s += " (required)" }
        return s + (doc.isEmpty ? "" : " — \(doc)")
    }
}

/// A table type (an options table or a result record) in the API description.
public struct LuaAPIClass: Sendable {
    /// The LuaCATS class name.
    public let name: String
    /// What it is.
    public let doc: String
    /// Its fields.
    public let fields: [LuaAPIField]

    /// Creates a class description.
    public init(name: String, doc: String, fields: [LuaAPIField]) {
        self.name = name
        self.doc = doc
        self.fields = fields
    }
}

/// A parsed signature: `(path: string, opts?: discern.X) -> string?, string?`.
public struct LuaSignature: Sendable, Equatable {
    /// One parameter.
    public struct Param: Sendable, Equatable {
        /// Its name (`...` for varargs).
        public let name: String
        /// Its LuaCATS type.
        public let type: String
        /// Whether it may be omitted.
        public let optional: Bool
    }
    /// The parameters, in order.
    public let params: [Param]
    /// The result types, in order.
    public let returns: [String]

    /// Parses `(a: T, b?: U) -> R1, R2`; types may nest brackets (`fun(x: integer): boolean`, `table<string, number>`).
    /// - Throws: `LuaError` naming the signature when it does not parse (a programming error caught by the tests).
    public init(parsing text: String) throws {
        let s = text.trimmingSpaces()
        guard s.first == "(", let close = LuaSignature.matchingParen(s) else {
            throw LuaError(code: "signature", "signature must start with a parenthesised parameter list: \(text)")
        }
        let inner = String(s[s.index(after: s.startIndex)..<close])
        var params: [Param] = []
        for part in LuaSignature.splitTopLevel(inner, ",") where !part.trimmingSpaces().isEmpty {
            let p = part.trimmingSpaces()
            guard let colon = p.firstIndex(of: ":") else {
                throw LuaError(code: "signature", "parameter '\(p)' needs a type (name: type) in \(text)")
            }
            var name = String(p[..<colon]).trimmingSpaces()
            let optional = name.hasSuffix("?")
            if optional { name.removeLast() }
            params.append(Param(name: name, type: String(p[p.index(after: colon)...]).trimmingSpaces(), optional: optional))
        }
        let rest = String(s[s.index(after: close)...]).trimmingSpaces()
        var returns: [String] = []
        if !rest.isEmpty {
            guard rest.hasPrefix("->") else { throw LuaError(code: "signature", "expected '->' after the parameters in \(text)") }
            returns = LuaSignature.splitTopLevel(String(rest.dropFirst(2)), ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        }
        self.params = params
        self.returns = returns
    }

    /// The signature as written for help: `(path: string, opts?: T) -> string?`.
    public var text: String {
        let ps = params.map { "\($0.name)\($0.optional ? "?" : ""): \($0.type)" }.joined(separator: ", ")
        return "(\(ps))" + (returns.isEmpty ? "" : " -> " + returns.joined(separator: ", "))
    }

    static func matchingParen(_ s: String) -> String.Index? {
        var depth = 0
        for i in s.indices {
            switch s[i] {
            case "(", "<", "{", "[": depth += 1
            case ")", ">", "}", "]":
                depth -= 1
                if depth == 0 && s[i] == ")" { return i }
            default: break
            }
        }
        return nil
    }

    static func splitTopLevel(_ s: String, _ sep: Character) -> [String] {
        var out: [String] = []
        var depth = 0
        var cur = ""
        var prev: Character = " "
        for c in s {
            switch c {
            case "(", "<", "{", "[": depth += 1
            case ")", "}", "]": depth -= 1
            case ">" where prev != "-": depth -= 1
            default: break
            }
            if c == sep && depth == 0 { out.append(cur); cur = "" } else { cur.append(c) }
            prev = c
        }
        out.append(cur)
        return out
    }
}

/// One function or method of the Lua API, declared once where it is registered.
public struct LuaAPIFunction: Sendable {
    /// The qualified name: `discern.fs.exists` for functions, `discern.Tensor:shape` for methods.
    public let name: String
    /// The signature.
    public let signature: LuaSignature
    /// What it does (prose after the signature line).
    public let doc: String
    /// The options class it accepts, when it takes an options table.
    public let options: String?
    /// Whether the signature was declared (false: read from the first line of a doc string, types `any`).
    public let declared: Bool

    /// Creates a description.
    public init(name: String, signature: LuaSignature, doc: String, options: String?, declared: Bool) {
        self.name = name
        self.signature = signature
        self.doc = doc
        self.options = options
        self.declared = declared
    }

    /// Whether it is a method (`Class:name`).
    public var isMethod: Bool { name.contains(":") }

    /// The help text: the signature line, the prose and the options.
    public var help: String {
        var s = name + signature.text
        if !doc.isEmpty { s += "\n" + doc }
        if let options, let c = LuaAPI.classNamed(options), !c.fields.isEmpty {
            s += "\noptions (\(options)):\n" + c.fields.map(\.helpLine).joined(separator: "\n")
        }
        return s
    }
}

/// The process-wide description of the Lua API: every function, method and table type declared
/// through `LuaModuleBuilder`, `LuaClass.method(_:_:_:)` and `LuaOptionSpec`. Help text and the
/// LuaCATS stubs (`discern types`) are rendered from it.
public enum LuaAPI {
    struct Registry {
        var functions: [String: LuaAPIFunction] = [:]
        var classes: [String: LuaAPIClass] = [:]
        var modules: [String: String] = [:]
        var malformed: [String] = []
    }
    static let registry = Mutex(Registry())

    /// Records a function (a declared signature wins over one read from an old-style doc string).
    public static func register(_ f: LuaAPIFunction) {
        registry.withLock { r in
            if let old = r.functions[f.name], old.declared, !f.declared { return }
            r.functions[f.name] = f
        }
    }
    /// Records a table type.
    public static func register(_ c: LuaAPIClass) { registry.withLock { $0.classes[c.name] = c } }

    /// The function declared under `name`.
    public static func function(_ name: String) -> LuaAPIFunction? { registry.withLock { $0.functions[name] } }
    /// The table type declared under `name`.
    public static func classNamed(_ name: String) -> LuaAPIClass? { registry.withLock { $0.classes[name] } }
    /// Every declared function, sorted by name.
    public static var functions: [LuaAPIFunction] {
        registry.withLock { Array($0.functions.values) }.sorted { $0.name < $1.name }
    }
    /// Every declared table type, sorted by name.
    public static var classes: [LuaAPIClass] {
        registry.withLock { Array($0.classes.values) }.sorted { $0.name < $1.name }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\n" || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
