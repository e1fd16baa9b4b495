import CLua
import LuaKit
import Tensor

/// Lua bindings of `discern.tensor` and the `discern.Tensor` userdata.
enum TensorLua {
    nonisolated(unsafe) static let cls: LuaClass<Tensor> = {
        let c = LuaClass<Tensor>("discern.Tensor") { t in "discern." + t.description }
        c.opener = { st in TensorLua.open(st) }  // its methods are added when discern.tensor opens
        return c
    }()

    // MARK: conversions

    /// Reads a tensor argument, or wraps a number (as a 0-dim tensor of `like`'s dtype).
    static func tensorOrNumber(_ call: LuaCall, _ i: Int32, like: Tensor?) throws -> Tensor {
        if let t = cls.test(call.L, i) { return t }
        if cls.isReleased(call.L, i) {
            throw LuaError(code: "released", "\(call.name): bad argument #\(i - call.selfOffset) (the discern.Tensor was released)")
        }
        if call.type(i) == LUA_TNUMBER {
            return try Tensor.scalar(try call.number(i), dtype: like?.dtype ?? .float32, device: like?.device ?? .cpu)
        }
        throw call.argError(i, "discern.Tensor or number")
    }

    /// Flattens a nested Lua table of numbers/booleans into values and a shape.
    static func flatten(_ call: LuaCall, _ idx: Int32) throws -> (values: [Double], shape: [Int], allBool: Bool) {
        let L = call.L
        var values: [Double] = []
        var shape: [Int] = []
        var allBool = true
        var sawNumber = false
        func walk(_ i: Int32, depth: Int, path: String) throws {
            let t = lua_type(L, i)
            if t == LUA_TNUMBER || t == LUA_TBOOLEAN {
                guard depth == shape.count else {
                    throw LuaError(code: "shape", "ragged nested table: element \(path) is a number where a table of length \(shape[depth]) is expected")
                }
                if t == LUA_TBOOLEAN {
                    values.append(lua_toboolean(L, i) != 0 ? 1 : 0)
                } else {
                    values.append(lua_tonumberx(L, i, nil))
                    sawNumber = true
                    allBool = false
                }
                return
            }
            guard t == LUA_TTABLE else {
                throw LuaError(code: "arg", "bad argument #1 (nested table of numbers expected, element \(path) is \(String(cString: lua_typename(L, t))))")
            }
            guard depth < maxDims else {
                throw LuaError(code: "shape", "nested table deeper than \(maxDims) levels (a tensor has at most \(maxDims) dimensions)")
            }
            try LuaRead.checkStack(L, 4, call.name)
            let n = try LuaRead.length(L, i, "\(call.name): element \(path.isEmpty ? "#1" : path)")
            if depth == shape.count {
                if !values.isEmpty {
                    throw LuaError(code: "shape", "ragged nested table: element \(path) is a table where a number is expected")
                }
                shape.append(n)
            } else if shape[depth] != n {
                throw LuaError(code: "shape", "ragged nested table: element \(path) has length \(n), expected \(shape[depth])")
            }
            for k in 0..<n {
                try LuaRead.index(L, i, k + 1, "\(call.name): element \(path.isEmpty ? "#1" : path)")
                defer { dlua_pop(L, 1) }
                try walk(lua_gettop(L), depth: depth + 1, path: path + "[\(k + 1)]")
            }
        }
        try walk(lua_absindex(L, idx), depth: 0, path: "")
        return (values, shape, allBool && !sawNumber && !values.isEmpty)
    }

    /// The most dimensions a tensor built from, or converted to, nested tables may have.
    static let maxDims = 64

    /// Pushes a tensor's values as nested Lua tables (a number for 0-dim tensors).
    static func pushList(_ call: LuaCall, _ t: Tensor) throws {
        let L = call.L
        let shape = t.shape
        try LuaRead.checkStack(L, Int32(shape.count) + 4, "\(call.name): a \(shape.count)-dimensional tensor")
        let element: (Int) -> Void
        if t.dtype.isFloatingPoint {
            let v = try t.doubles()
            element = { lua_pushnumber(L, v[$0]) }
        } else {
            let v = try t.toArray(Int64.self)
            element = t.dtype == .bool ? { lua_pushboolean(L, v[$0] != 0 ? 1 : 0) } : { lua_pushinteger(L, lua_Integer(v[$0])) }
        }
        var k = 0
        func rec(_ d: Int) {
            if d == shape.count { element(k); k += 1; return }
            lua_createtable(L, Int32(shape[d]), 0)
            for j in 0..<shape[d] { rec(d + 1); lua_rawseti(L, -2, lua_Integer(j + 1)) }
        }
        rec(0)
    }

    // MARK: options, declared once

    /// What the constructors read from their options.
    struct Creation {
        var dtype: DType?
        var device: Device = .cpu
        var requiresGrad = false
        var seed: UInt64?
        var step = 1.0
    }
    typealias C = LuaField<Creation>
    static let dtypeType = DType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: "|")
    nonisolated(unsafe) static let dtypeField = C.parsed("dtype", \.dtype, type: dtypeType, "element type (PyTorch aliases accepted)",
                                                    default: "float32 (bool for booleans)", parse: DType.parse)
    nonisolated(unsafe) static let device = C.parsed("device", \.device, type: "string", "\"cpu\", \"cuda\" or \"cuda:N\"", parse: Device.parse)
    nonisolated(unsafe) static let requiresGrad = C.boolean("requires_grad", \.requiresGrad, "track gradients (a leaf of the autograd graph)")
    static func creation(_ name: String, _ extra: [C] = [], dtype: C = dtypeField) -> LuaOptionSpec<Creation> {
        LuaOptionSpec("discern.tensor.\(name)", prototype: Creation(), extra + [dtype, device, requiresGrad])
    }
    nonisolated(unsafe) static let createSpec = creation("CreateOptions")
    nonisolated(unsafe) static let randomSpec = creation("RandomOptions", [C.seed("seed", \.seed, "same seed, same values", default: "the global generator")])
    nonisolated(unsafe) static let arangeSpec = creation("ArangeOptions", [C.real("step", \.step, "spacing")],
                                                         dtype: C.parsed("dtype", \.dtype, type: dtypeType, "element type", default: "int64", parse: DType.parse))

    struct GradArgs {
        var gradOutputs: [Tensor]?
        var retainGraph = false, createGraph = false, allowUnused = false
    }
    nonisolated(unsafe) static let gradSpec = LuaOptionSpec<GradArgs>("discern.tensor.GradOptions", prototype: GradArgs(), [
        .value("grad_outputs", \.gradOutputs, type: "discern.Tensor[]", "gradients of the outputs (needed for non-scalar outputs)") { c, i in
            try tensorList(c, i)
        },
        .boolean("retain_graph", \.retainGraph, "keep the graph for another backward pass"),
        .boolean("create_graph", \.createGraph, "record the gradient computation (higher-order gradients)"),
        .boolean("allow_unused", \.allowUnused, "an input the outputs do not use gets false instead of an error"),
    ])
    nonisolated(unsafe) static let backwardSpec = LuaOptionSpec<GradArgs>("discern.Tensor.BackwardOptions", prototype: GradArgs(),
                                                                          Array(gradSpec.fields[1...2]))

    struct Along {
        var dim = -1
        var keepdim = false
        var largest = true, descending = false
        var sorted = true, stable = false
        var replacement = false
        var seed: UInt64?
    }
    typealias A = LuaField<Along>
    static func along(_ name: String, _ fields: [A]) -> LuaOptionSpec<Along> {
        LuaOptionSpec("discern.Tensor.\(name)", prototype: Along(), fields)
    }
    nonisolated(unsafe) static let keepdimSpec = along("ReduceOptions", [A.boolean("keepdim", \.keepdim, "keep the reduced dims with size 1")])
    nonisolated(unsafe) static let topkSpec = along("TopKOptions", [
        A.integer("dim", \.dim, "0-based dim (negative counts from the end)"), A.boolean("largest", \.largest, "the largest (else the smallest)"),
        A.boolean("sorted", \.sorted, "values in order"),
    ])
    nonisolated(unsafe) static let sortSpec = along("SortOptions", [
        A.integer("dim", \.dim, "0-based dim (negative counts from the end)"), A.boolean("descending", \.descending, "largest first"),
        A.boolean("stable", \.stable, "equal values keep their order"),
    ])
    nonisolated(unsafe) static let multinomialSpec = along("MultinomialOptions", [
        A.boolean("replacement", \.replacement, "draw with replacement"), A.seed("seed", \.seed, "random seed", default: "the global generator"),
    ])

    enum Approximate: String, CaseIterable { case none, tanh }
    struct LayerNormArgs {
        var weight: Tensor?, bias: Tensor?
        var eps = 1e-5
        var approximate = Approximate.none
    }
    typealias N = LuaField<LayerNormArgs>
    nonisolated(unsafe) static let layerNormSpec = LuaOptionSpec<LayerNormArgs>("discern.Tensor.LayerNormOptions", prototype: LayerNormArgs(), [
        N.value("weight", \.weight, type: "discern.Tensor", "elementwise scale") { c, i in cls.test(c.L, i) },
        N.value("bias", \.bias, type: "discern.Tensor", "elementwise shift") { c, i in cls.test(c.L, i) },
        N.number("eps", \.eps, "added to the variance"),
    ])
    nonisolated(unsafe) static let geluSpec = LuaOptionSpec<LayerNormArgs>("discern.Tensor.GeluOptions", prototype: LayerNormArgs(), [
        N.choice("approximate", \.approximate, "\"none\" (erf) or \"tanh\""),
    ])

    static func finish(_ t: Tensor, _ c: Creation) throws -> Tensor {
        var r = t
        if c.device != .cpu { r = try r.to(c.device) }
        if c.requiresGrad { try r.requiresGrad(true) }
        return r
    }

    static func push(_ call: LuaCall, _ t: Tensor) -> Int32 { call.push(t, cls) }

    static func pushPair(_ call: LuaCall, _ r: (values: Tensor, indices: Tensor)) -> Int32 {
        cls.push(call.L, r.values)
        cls.push(call.L, r.indices)
        return 2
    }

    // MARK: module

    /// Registers the `discern.Tensor` metatable (for modules that return tensors).
    static func register(_ state: LuaState) {
        defineMethods()
        cls.register(in: state)
    }

    static let newDoc = """
        data: a number or a nested table of numbers/booleans (rectangular).
        opts: dtype (default float32, or bool for booleans), device ("cpu", "cuda", "cuda:N"), requires_grad.
        """

    /// Builds the `discern.tensor` table (callable) on top of the stack.
    static func open(_ state: LuaState) {
        register(state)
        let m = LuaModuleBuilder(state, "discern.tensor", doc: "discern.tensor: tensors (creation, autograd); see discern.Tensor methods.",
                                 capacity: 16)
        let T = "discern.Tensor"
        m.function("new", "(data: number|boolean|table, opts?: discern.tensor.CreateOptions) -> \(T)", newDoc, options: createSpec) { call in
            try newTensor(call)
        }
        for (name, value) in [("zeros", 0.0), ("ones", 1.0), ("full", nil)] as [(String, Double?)] {
            m.function(name, "(shape: integer[], \(value == nil ? "value: number, " : "")opts?: discern.tensor.CreateOptions) -> \(T)",
                       "A tensor filled with \(value.map { String(Int($0)) } ?? "value"); shape is a list of sizes.", options: createSpec) { call in
                let shape = try call.integerList(1)
                let v = try value ?? call.number(2)
                let c = try createSpec.read(call, at: value == nil ? 3 : 2)
                return push(call, try finish(Tensor.full(shape, v, dtype: c.dtype ?? .float32, device: c.device), c))
            }
        }
        for (name, kind) in [("randn", "standard normal"), ("rand", "uniform [0, 1)")] {
            m.function(name, "(shape: integer[], opts?: discern.tensor.RandomOptions) -> \(T)", "A tensor of \(kind) samples.",
                       options: randomSpec) { call in
                let shape = try call.integerList(1)
                let c = try randomSpec.read(call, at: 2)
                let gen = try c.seed.map { try Generator(seed: $0, device: c.device) }
                let d = c.dtype ?? .float32
                let t = name == "randn" ? try Tensor.randn(shape, dtype: d, device: c.device, generator: gen)
                    : try Tensor.rand(shape, dtype: d, device: c.device, generator: gen)
                return push(call, try finish(t, c))
            }
        }
        m.function("arange", "(start: number, stop?: number, opts?: discern.tensor.ArangeOptions) -> \(T)",
                   "arange(n) or arange(start, stop, opts): the range [start, stop) as int64 (opts: step, dtype, device).",
                   options: arangeSpec) { call in
            var start = 0.0, stop = try call.number(1), optIdx: Int32 = 2
            if call.type(2) == LUA_TNUMBER { start = stop; stop = try call.number(2); optIdx = 3 }
            let o = try arangeSpec.read(call, at: optIdx)
            var t = try Tensor.arange(start, stop, step: o.step, dtype: o.dtype ?? .int64, device: o.device)
            if o.requiresGrad { t = try t.requiresGrad() }
            return push(call, t)
        }
        for (name, stack) in [("cat", false), ("stack", true)] {
            m.function(name, "(tensors: \(T)[], dim?: integer) -> \(T)",
                       "Joins the tensors along dim (\(stack ? "new" : "existing") dim, 0-based; default 0).") { call in
                let ts = try tensorList(call, 1)
                let dim = try call.optInteger(2) ?? 0
                return push(call, stack ? try Tensor.stack(ts, dim: dim) : try Tensor.cat(ts, dim: dim))
            }
        }
        m.function("where", "(cond: \(T), a: \(T)|number, b: \(T)|number) -> \(T)",
                   "Elements of a where cond (bool) is true, else of b.") { call in
            let c = try cls.check(call, 1)
            let a = try tensorOrNumber(call, 2, like: nil)
            return push(call, try Tensor.where(c, a, try tensorOrNumber(call, 3, like: a)))
        }
        m.function("embedding", "(weight: \(T), indices: \(T)) -> \(T)", "Rows of weight [vocab, d] at integer indices.") { call in
            push(call, try Tensor.embedding(try cls.check(call, 1), try cls.check(call, 2)))
        }
        m.function("grad", "(outputs: \(T)|\(T)[], inputs: \(T)|\(T)[], opts?: discern.tensor.GradOptions) -> (\(T)|false)[]", """
            The gradients of outputs with respect to inputs (torch.autograd.grad); outputs/inputs: a tensor or list of tensors.
            """, options: gradSpec) { call in
            let outs = try tensorList(call, 1)
            let ins = try tensorList(call, 2)
            let o = try gradSpec.read(call, at: 3)
            let gs = try Torch.grad(outputs: outs, inputs: ins, gradOutputs: o.gradOutputs, retainGraph: o.retainGraph,
                                    createGraph: o.createGraph, allowUnused: o.allowUnused)
            cls.pushList(call.L, gs)
            return 1
        }
        m.function("no_grad", "(fn: function, ...: any) -> any", "The results of fn(...) run with autograd recording off.") { call in
            try call.checkFunction(1)
            let st = LuaState(borrowing: call.L)
            let nargs = call.count - 1
            return try Torch.noGrad { try st.pcall(nargs: nargs) }
        }
        m.function("is_tensor", "(v: any) -> boolean", "Whether v is a live discern.Tensor.") { call in
            call.returning(cls.test(call.L, 1) != nil)
        }
        m.callable("(data: number|boolean|table, opts?: discern.tensor.CreateOptions) -> \(T)", newDoc, options: createSpec.name) { call in
            try newTensor(call)
        }
    }

    static func tensorList(_ call: LuaCall, _ i: Int32) throws -> [Tensor] {
        if let t = cls.test(call.L, i) { return [t] }
        try call.checkTable(i)
        var out: [Tensor] = []
        try call.forEach(i) { k in
            guard let t = cls.test(call.L, -1) else {
                throw LuaError(code: "arg", "bad argument #\(i - call.selfOffset) (list of discern.Tensor expected, element \(k) is \(call.typeName(-1)))")
            }
            out.append(t)
        }
        return out
    }

    static func newTensor(_ call: LuaCall) throws -> Int32 {
        let c = try createSpec.read(call, at: 2)
        if call.type(1) == LUA_TNUMBER || call.type(1) == LUA_TBOOLEAN {
            let isBool = call.type(1) == LUA_TBOOLEAN
            let v = isBool ? (call.bool(1) ? 1.0 : 0.0) : try call.number(1)
            return push(call, try finish(Tensor.scalar(v, dtype: c.dtype ?? (isBool ? .bool : .float32)), c))
        }
        guard call.type(1) == LUA_TTABLE else { throw call.argError(1, "number or nested table") }
        let (values, shape, allBool) = try flatten(call, 1)
        let dtype = c.dtype ?? (allBool ? .bool : .float32)
        let t: Tensor
        switch dtype {
        case .float64: t = try Tensor(values, shape: shape)
        case .int64, .int32, .uint8, .bool:
            for v in values where v != v.rounded() {
                throw LuaError(code: "dtype", "value \(v) is not an integer and cannot be stored as \(dtype.rawValue)")
            }
            t = try Tensor(values.map { Int64($0) }, shape: shape).to(dtype)
        default: t = try Tensor(values, shape: shape).to(dtype)
        }
        return push(call, try finish(t, c))
    }

    // MARK: methods

    nonisolated(unsafe) static var methodsDefined = false

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        let c = cls
        let T = "discern.Tensor"
        /// A method returning a tensor.
        func op(_ name: String, _ sig: String, _ doc: String, options: String? = nil, _ f: @escaping (LuaCall, Tensor) throws -> Tensor) {
            c.method(name, sig + " -> \(T)", doc, options: options) { call, t in push(call, try f(call, t)) }
        }
        c.method("shape", "() -> integer[]", "List of sizes (a 1-based Lua list).") { call, t in call.returning(t.shape) }
        c.method("dim", "() -> integer", "Number of dimensions.") { call, t in call.returning(t.ndim) }
        c.method("numel", "() -> integer", "Number of elements.") { call, t in call.returning(t.numel) }
        c.method("size", "(dim: integer) -> integer", "Size of a dimension (0-based, negative counts from the end).") { call, t in
            let d = try call.integer(2)
            let n = t.ndim
            let r = d < 0 ? d + n : d
            guard r >= 0 && r < n else { throw LuaError(code: "index", "dimension \(d) out of range for a tensor with \(n) dimension(s)") }
            return call.returning(t.shape[r])
        }
        c.method("dtype", "() -> string", "dtype name (\"float32\", …).") { call, t in call.returning(t.dtype.rawValue) }
        c.method("device", "() -> string", "device name (\"cpu\", \"cuda:0\").") { call, t in call.returning(t.device.description) }
        c.method("requires_grad", "() -> boolean", "Whether autograd tracks t.") { call, t in call.returning(t.requiresGrad) }
        op("requires_grad_", "(on?: boolean)", "t, with gradient tracking switched on/off (default on).") { call, t in
            try t.requiresGrad(call.isNil(2) ? true : call.bool(2))
            return t
        }
        c.method("is_leaf", "() -> boolean", "Whether t is a leaf of the autograd graph.") { call, t in call.returning(t.isLeaf) }
        c.method("tolist", "() -> table|number", "Nested Lua tables of numbers (a number for a 0-dim tensor).") { call, t in
            try pushList(call, t)
            return 1
        }
        c.method("item", "() -> number|integer|boolean", "The number in a one-element tensor.") { call, t in
            if t.dtype.isFloatingPoint { return call.returning(try t.item()) }
            return t.dtype == .bool ? call.returning(try t.itemInt() != 0) : call.returning(Int(try t.itemInt()))
        }
        c.method("format", "(limit?: integer) -> string", "The values as nested brackets (elided after limit elements, default 1000).") { call, t in
            call.returning(try t.formatValues(limit: try call.optInteger(2) ?? 1000))
        }

        // Reductions with an optional dim (0-based) and opts {keepdim=}.
        for (name, fn) in [("sum", { (t: Tensor, d: [Int], k: Bool) in try t.sum(dims: d, keepdim: k) }),
                           ("mean", { (t: Tensor, d: [Int], k: Bool) in try t.mean(dims: d, keepdim: k) }),
                           ("amax", { (t: Tensor, d: [Int], k: Bool) in try t.amax(dims: d, keepdim: k) }),
                           ("amin", { (t: Tensor, d: [Int], k: Bool) in try t.amin(dims: d, keepdim: k) })] {
            op(name, "(dim?: integer|integer[], opts?: discern.Tensor.ReduceOptions)",
               "The \(name) over dim (a number or list, 0-based) or all elements.", options: keepdimSpec.name) { call, t in
                let dims = call.type(2) == LUA_TTABLE ? try call.integerList(2) : try call.optInteger(2).map { [$0] } ?? []
                return try fn(t, dims, try keepdimSpec.read(call, at: 3).keepdim)
            }
        }
        for name in ["max", "min"] {
            c.method(name, "(dim?: integer, opts?: discern.Tensor.ReduceOptions) -> \(T), \(T)?",
                     "values, indices along dim (0-based); without dim, the \(name) of all elements.", options: keepdimSpec.name) { call, t in
                guard let d = try call.optInteger(2) else { return push(call, name == "max" ? try t.amax() : try t.amin()) }
                let keep = try keepdimSpec.read(call, at: 3).keepdim
                return pushPair(call, name == "max" ? try t.max(dim: d, keepdim: keep) : try t.min(dim: d, keepdim: keep))
            }
        }
        for name in ["argmax", "argmin"] {
            op(name, "(dim?: integer, opts?: discern.Tensor.ReduceOptions)",
               "int64 indices along dim (of the flattened tensor without dim).", options: keepdimSpec.name) { call, t in
                let d = try call.optInteger(2)
                let keep = try keepdimSpec.read(call, at: 3).keepdim
                return name == "argmax" ? try t.argmax(dim: d, keepdim: keep) : try t.argmin(dim: d, keepdim: keep)
            }
        }
        op("prod", "(dim?: integer)", "Product along dim, or of all elements.") { call, t in try t.prod(dim: try call.optInteger(2)) }

        // Unary elementwise ops.
        let unaries: [(String, String, (Tensor) throws -> Tensor)] = [
            ("neg", "-x", { try $0.neg() }), ("exp", "e^x", { try $0.exp() }), ("log", "ln x", { try $0.log() }),
            ("log1p", "ln(1 + x)", { try $0.log1p() }), ("tanh", "tanh x", { try $0.tanh() }),
            ("sqrt", "√x", { try $0.sqrt() }), ("rsqrt", "1/√x", { try $0.rsqrt() }), ("square", "x²", { try $0.square() }),
            ("reciprocal", "1/x", { try $0.reciprocal() }), ("abs", "|x|", { try $0.abs() }), ("sign", "sign x", { try $0.sign() }),
            ("floor", "⌊x⌋", { try $0.floor() }), ("sin", "sin x", { try $0.sin() }), ("cos", "cos x", { try $0.cos() }),
            ("relu", "max(x, 0)", { try $0.relu() }), ("silu", "x·σ(x)", { try $0.silu() }), ("sigmoid", "σ(x)", { try $0.sigmoid() }),
            ("logical_not", "not x (bool)", { try $0.logicalNot() }), ("isnan", "x is NaN (bool)", { try $0.isnan() }),
            ("clone", "a copy with its own storage", { try $0.clone() }), ("detach", "a view cut from the autograd graph", { try $0.detach() }),
            ("contiguous", "a contiguous tensor with the same values", { try $0.contiguous() }),
        ]
        for (name, what, f) in unaries { op(name, "()", "\(what), elementwise.") { _, t in try f(t) } }
        op("gelu", "(opts?: discern.Tensor.GeluOptions)", "GELU (approximate: \"none\", the erf form, or \"tanh\").",
           options: geluSpec.name) { call, t in
            try t.gelu(approximate: try geluSpec.read(call, at: 2).approximate == .tanh)
        }
        op("softmax", "(dim: integer)", "Softmax along dim (0-based).") { call, t in try t.softmax(dim: try call.integer(2)) }
        op("log_softmax", "(dim: integer)", "Log-softmax along dim (0-based).") { call, t in try t.logSoftmax(dim: try call.integer(2)) }
        op("cumsum", "(dim: integer)", "Cumulative sum along dim.") { call, t in try t.cumsum(dim: try call.integer(2)) }
        op("clamp", "(min?: number, max?: number)", "Values clamped to [min, max] (either may be nil).") { call, t in
            var r = t
            if let lo = try call.optNumber(2) { r = try r.clamp(min: lo) }
            if let hi = try call.optNumber(3) { r = try r.clamp(max: hi) }
            return r
        }
        op("layer_norm", "(normalized_shape: integer[], opts?: discern.Tensor.LayerNormOptions)", "Layer norm over trailing dims.",
           options: layerNormSpec.name) { call, t in
            let ns = try call.integerList(2)
            let o = try layerNormSpec.read(call, at: 3)
            return try t.layerNorm(ns, weight: o.weight, bias: o.bias, eps: o.eps)
        }

        // Binary ops (tensor or number as the other operand).
        let binaries: [(String, String, (Tensor, Tensor) throws -> Tensor)] = [
            ("add", "a + b", { try $0.add($1) }), ("sub", "a - b", { try $0.sub($1) }), ("mul", "a * b", { try $0.mul($1) }),
            ("div", "a / b", { try $0.div($1) }), ("pow", "a ^ b", { try $0.pow($1) }),
            ("maximum", "max(a, b)", { try $0.maximum($1) }), ("minimum", "min(a, b)", { try $0.minimum($1) }),
            ("eq", "a == b (bool)", { try $0.compare(.eq, $1) }), ("ne", "a ~= b (bool)", { try $0.compare(.ne, $1) }),
            ("lt", "a < b (bool)", { try $0.compare(.lt, $1) }), ("le", "a <= b (bool)", { try $0.compare(.le, $1) }),
            ("gt", "a > b (bool)", { try $0.compare(.gt, $1) }), ("ge", "a >= b (bool)", { try $0.compare(.ge, $1) }),
            ("logical_and", "a and b (bool)", { try $0.logicalAnd($1) }), ("logical_or", "a or b (bool)", { try $0.logicalOr($1) }),
        ]
        for (name, what, f) in binaries {
            op(name, "(other: \(T)|number)", "\(what), elementwise with broadcasting; other is a tensor or number.") { call, t in
                try f(t, try tensorOrNumber(call, 2, like: t))
            }
        }
        op("matmul", "(other: \(T))", "Matrix product (torch.matmul: batched, broadcast).") { call, t in try t.matmul(try cls.check(call, 2)) }
        op("bmm", "(other: \(T))", "Batched matrix product of [b, n, m] and [b, m, p].") { call, t in try t.bmm(try cls.check(call, 2)) }

        // Shapes and indexing (dims and indices 0-based).
        op("reshape", "(shape: integer[])", "Same values in a new shape (one size may be -1).") { call, t in try t.reshape(try call.integerList(2)) }
        op("view", "(shape: integer[])", "A view with a new shape (fails when strides do not allow it).") { call, t in
            try t.view(try call.integerList(2))
        }
        op("permute", "(dims: integer[])", "Dimensions reordered (dims is a list of 0-based dims).") { call, t in
            try t.permute(try call.integerList(2))
        }
        op("transpose", "(d0: integer, d1: integer)", "Dims d0 and d1 swapped.") { call, t in
            try t.transpose(try call.integer(2), try call.integer(3))
        }
        op("t", "()", "The transpose of a 2-D tensor.") { _, t in
            guard t.ndim == 2 else { throw LuaError(code: "shape", "t() expects a 2-D tensor, got \(t.ndim) dimension(s)") }
            return try t.transpose(0, 1)
        }
        op("expand", "(shape: integer[])", "Size-1 dims broadcast to shape without copying (-1 keeps a size).") { call, t in
            try t.expand(try call.integerList(2))
        }
        op("squeeze", "(dim?: integer)", "Size-1 dims removed (only dim when given).") { call, t in try t.squeeze(dim: try call.optInteger(2)) }
        op("unsqueeze", "(dim: integer)", "A size-1 dim inserted at dim.") { call, t in try t.unsqueeze(try call.integer(2)) }
        op("narrow", "(dim: integer, start: integer, length: integer)", "The view of length elements from start along dim.") { call, t in
            try t.narrow(dim: try call.integer(2), start: try call.integer(3), length: try call.integer(4))
        }
        op("slice", "(dim: integer, start?: integer, stop?: integer, step?: integer)",
           "t[start:stop:step] along dim (Python semantics; stop nil = end).") { call, t in
            try t.slice(dim: try call.integer(2), start: try call.optInteger(3) ?? 0, end: try call.optInteger(4), step: try call.optInteger(5) ?? 1)
        }
        op("select", "(dim: integer, index: integer)", "The slice at index along dim, with dim removed.") { call, t in
            try t.select(dim: try call.integer(2), index: try call.integer(3))
        }
        op("index_select", "(dim: integer, index: \(T))", "Entries at the int64 index tensor along dim.") { call, t in
            try t.indexSelect(dim: try call.integer(2), index: try cls.check(call, 3))
        }
        op("gather", "(dim: integer, index: \(T))", "Values at index along dim (torch.gather).") { call, t in
            try t.gather(dim: try call.integer(2), index: try cls.check(call, 3))
        }
        op("scatter_add", "(dim: integer, index: \(T), src: \(T))", "A copy with src added at index along dim.") { call, t in
            try t.scatterAdd(dim: try call.integer(2), index: try cls.check(call, 3), src: try cls.check(call, 4))
        }
        op("masked_fill", "(mask: \(T), value: number)", "A copy with value where the bool mask is true.") { call, t in
            try t.maskedFill(try cls.check(call, 2), try call.number(3))
        }
        op("triu", "(diagonal?: integer)", "The upper triangle (diagonal 0 by default).") { call, t in try t.triu(try call.optInteger(2) ?? 0) }
        op("tril", "(diagonal?: integer)", "The lower triangle (diagonal 0 by default).") { call, t in try t.tril(try call.optInteger(2) ?? 0) }
        c.method("split", "(size: integer, dim?: integer) -> \(T)[]", "List of pieces of size along dim (default 0).") { call, t in
            cls.pushList(call.L, try t.split(try call.integer(2), dim: try call.optInteger(3) ?? 0))
            return 1
        }
        c.method("chunk", "(n: integer, dim?: integer) -> \(T)[]", "List of n nearly equal chunks along dim (default 0).") { call, t in
            cls.pushList(call.L, try t.chunk(try call.integer(2), dim: try call.optInteger(3) ?? 0))
            return 1
        }
        c.method("topk", "(k: integer, opts?: discern.Tensor.TopKOptions) -> \(T), \(T)", "values, indices of the k largest (or smallest).",
                 options: topkSpec.name) { call, t in
            let o = try topkSpec.read(call, at: 3)
            return pushPair(call, try t.topk(try call.integer(2), dim: o.dim, largest: o.largest, sorted: o.sorted))
        }
        c.method("sort", "(opts?: discern.Tensor.SortOptions) -> \(T), \(T)", "values, indices in order along dim.",
                 options: sortSpec.name) { call, t in
            let o = try sortSpec.read(call, at: 2)
            return pushPair(call, try t.sort(dim: o.dim, descending: o.descending, stable: o.stable))
        }
        op("multinomial", "(n: integer, opts?: discern.Tensor.MultinomialOptions)",
           "int64 category draws per row of t (probabilities).", options: multinomialSpec.name) { call, t in
            let o = try multinomialSpec.read(call, at: 3)
            let gen = try o.seed.map { try Generator(seed: $0, device: t.device) }
            return try t.multinomial(try call.integer(2), replacement: o.replacement, generator: gen)
        }
        op("to", "(dtype_or_device: string)", "Converted copy: \"float64\", \"int64\", …, or \"cpu\", \"cuda\", \"cuda:N\".") { call, t in
            let s = try call.string(2)
            if let d = try? DType.parse(s) { return try t.to(d) }
            if let d = try? Device.parse(s) { return try t.to(d) }
            throw LuaError(code: "arg", "'\(s)' is neither a dtype (\(DType.allCases.map(\.rawValue).joined(separator: ", "))) nor a device (cpu, cuda, cuda:N)")
        }

        // In place (PyTorch names).
        op("add_", "(other: \(T)|number)", "t, with other (tensor or number) added in place.") { call, t in
            if call.type(2) == LUA_TNUMBER { try t.addInPlace(try call.number(2)) } else { try t.addInPlace(try cls.check(call, 2)) }
            return t
        }
        op("mul_", "(other: \(T)|number)", "t, multiplied in place by other (tensor or number).") { call, t in
            if call.type(2) == LUA_TNUMBER { try t.mulInPlace(try call.number(2)) } else { try t.mulInPlace(try cls.check(call, 2)) }
            return t
        }
        op("copy_", "(src: \(T))", "t, with src's values (broadcast) copied in.") { call, t in
            try t.copyInPlace(from: try cls.check(call, 2))
            return t
        }
        op("fill_", "(value: number)", "t, every element set to value.") { call, t in
            try t.fillInPlace(try call.number(2))
            return t
        }
        op("zero_", "()", "t, every element set to 0.") { _, t in
            try t.zeroInPlace()
            return t
        }

        // Autograd.
        c.method("backward", "(gradient?: \(T), opts?: discern.Tensor.BackwardOptions)",
                 "Back-propagates into .grad of leaves (gradient optional for one element).", options: backwardSpec.name) { call, t in
            var g: Tensor?
            var optIdx: Int32 = 3
            if cls.test(call.L, 2) != nil { g = try cls.check(call, 2) }
            else if call.type(2) == LUA_TTABLE && call.type(3) == LUA_TNONE { optIdx = 2 }
            else if !call.isNil(2) { throw call.argError(2, "discern.Tensor or options table") }
            let o = try backwardSpec.read(call, at: optIdx)
            try t.backward(gradient: g, retainGraph: o.retainGraph, createGraph: o.createGraph)
            return 0
        }
        c.method("grad", "() -> \(T)?", "The accumulated gradient tensor, or nil.") { call, t in
            guard let g = try t.grad() else { call.pushNil(); return 1 }
            return push(call, g)
        }
        c.method("zero_grad", "()", "Clears the accumulated gradient.") { _, t in
            try t.setGrad(nil)
            return 0
        }
        op("retain_grad", "()", "t; keeps the gradient of a non-leaf tensor.") { _, t in
            try t.retainGrad()
            return t
        }

        // Operators.
        for (mm, f) in [("__add", { (a: Tensor, b: Tensor) in try a + b }), ("__sub", { try $0 - $1 }),
                        ("__mul", { try $0 * $1 }), ("__div", { try $0 / $1 }), ("__pow", { try $0.pow($1) })] {
            c.metamethod(mm) { call in
                let a: Tensor, b: Tensor
                if let t = cls.test(call.L, 1) {
                    a = t
                    b = try tensorOrNumber(call, 2, like: t)
                } else {
                    b = try cls.check(call, 2)
                    a = try tensorOrNumber(call, 1, like: b)
                }
                return push(call, try f(a, b))
            }
        }
        c.metamethod("__unm") { call in push(call, try cls.check(call, 1).neg()) }
        c.metamethod("__len") { call in
            let t = try cls.check(call, 1)
            return call.returning(t.ndim == 0 ? 0 : t.shape[0])
        }
    }
}
