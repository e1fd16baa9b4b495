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
        let dtype = t.dtype
        if dtype.isFloatingPoint {
            let v = try t.doubles()
            var k = 0
            func rec(_ d: Int) {
                if d == shape.count { lua_pushnumber(L, v[k]); k += 1; return }
                lua_createtable(L, Int32(shape[d]), 0)
                for j in 0..<shape[d] { rec(d + 1); lua_rawseti(L, -2, lua_Integer(j + 1)) }
            }
            rec(0)
        } else {
            let v = try t.toArray(Int64.self)
            var k = 0
            func rec(_ d: Int) {
                if d == shape.count {
                    if dtype == .bool { lua_pushboolean(L, v[k] != 0 ? 1 : 0) } else { lua_pushinteger(L, lua_Integer(v[k])) }
                    k += 1
                    return
                }
                lua_createtable(L, Int32(shape[d]), 0)
                for j in 0..<shape[d] { rec(d + 1); lua_rawseti(L, -2, lua_Integer(j + 1)) }
            }
            rec(0)
        }
    }

    struct Creation {
        var dtype: DType?
        var device: Device = .cpu
        var requiresGrad = false
        var seed: UInt64?
    }

    static func creationOptions(_ call: LuaCall, _ i: Int32, seed: Bool = false) throws -> Creation {
        var keys = ["dtype", "device", "requires_grad"]
        if seed { keys.append("seed") }
        var c = Creation()
        guard let o = try call.options(i, allowed: keys) else { return c }
        if let d = try o.string("dtype") { c.dtype = try DType.parse(d) }
        if let d = try o.string("device") { c.device = try Device.parse(d) }
        c.requiresGrad = try o.bool("requires_grad") ?? false
        if let s = try o.integer("seed") {
            guard s >= 0 else { throw LuaError(code: "arg", "option 'seed' must be non-negative, got \(s)") }
            c.seed = UInt64(s)
        }
        return c
    }

    static func finish(_ t: Tensor, _ c: Creation) throws -> Tensor {
        var r = t
        if c.device != .cpu { r = try r.to(c.device) }
        if c.requiresGrad { try r.requiresGrad(true) }
        return r
    }

    static func push(_ call: LuaCall, _ t: Tensor) -> Int32 {
        cls.push(call.L, t)
        return 1
    }

    static func optDim(_ call: LuaCall, _ i: Int32) throws -> Int? { try call.optInteger(i) }

    // MARK: module

    /// Builds the `discern.tensor` table (callable) on top of the stack.
    /// Registers the `discern.Tensor` metatable (for modules that return tensors).
    static func register(_ state: LuaState) {
        defineMethods()
        cls.register(in: state)
    }

    static func open(_ state: LuaState) {
        let L = state.L
        register(state)
        lua_createtable(L, 0, 16)
        let mod = lua_gettop(L)
        let fn = "discern.tensor"

        state.setFunction(in: mod, "new", qualifiedName: fn, doc: """
            discern.tensor(data, opts) -> discern.Tensor
            data: a number or a nested table of numbers/booleans (rectangular).
            opts: dtype (default float32, or bool for booleans), device ("cpu", "cuda", "cuda:N"), requires_grad.
            """) { call in try newTensor(call) }

        let shapeDoc = "(shape, opts): shape is a list of sizes; opts: dtype, device, requires_grad"
        for (name, value) in [("zeros", 0.0), ("ones", 1.0)] {
            state.setFunction(in: mod, name, qualifiedName: "\(fn).\(name)",
                              doc: "discern.tensor.\(name)\(shapeDoc) -> discern.Tensor filled with \(Int(value)).") { call in
                let shape = try call.integerList(1)
                let c = try creationOptions(call, 2)
                return push(call, try finish(Tensor.full(shape, value, dtype: c.dtype ?? .float32, device: c.device), c))
            }
        }
        state.setFunction(in: mod, "full", qualifiedName: "\(fn).full",
                          doc: "discern.tensor.full(shape, value, opts) -> discern.Tensor filled with value.") { call in
            let shape = try call.integerList(1)
            let v = try call.number(2)
            let c = try creationOptions(call, 3)
            return push(call, try finish(Tensor.full(shape, v, dtype: c.dtype ?? .float32, device: c.device), c))
        }
        for (name, kind) in [("randn", "standard normal"), ("rand", "uniform [0, 1)")] {
            state.setFunction(in: mod, name, qualifiedName: "\(fn).\(name)", doc: """
                discern.tensor.\(name)(shape, opts) -> discern.Tensor of \(kind) samples.
                opts: seed (same seed, same values), dtype, device, requires_grad.
                """) { call in
                let shape = try call.integerList(1)
                let c = try creationOptions(call, 2, seed: true)
                let gen = try c.seed.map { try Generator(seed: $0, device: c.device) }
                let d = c.dtype ?? .float32
                let t = name == "randn" ? try Tensor.randn(shape, dtype: d, device: c.device, generator: gen)
                    : try Tensor.rand(shape, dtype: d, device: c.device, generator: gen)
                return push(call, try finish(t, c))
            }
        }
        state.setFunction(in: mod, "arange", qualifiedName: "\(fn).arange", doc: """
            discern.tensor.arange(n) or (start, stop, opts): the range [start, stop) as int64 (opts: step, dtype, device).
            """) { call in
            var start = 0.0, stop = try call.number(1), optIdx: Int32 = 2
            if call.type(2) == LUA_TNUMBER { start = stop; stop = try call.number(2); optIdx = 3 }
            guard let o = try call.options(optIdx, allowed: ["step", "dtype", "device", "requires_grad"]) ?? nil else {
                return push(call, try Tensor.arange(start, stop))
            }
            let step = try o.number("step") ?? 1
            let dtype = try o.string("dtype").map(DType.parse) ?? .int64
            let device = try o.string("device").map(Device.parse) ?? .cpu
            var t = try Tensor.arange(start, stop, step: step, dtype: dtype, device: device)
            if try o.bool("requires_grad") == true { t = try t.requiresGrad() }
            return push(call, t)
        }
        for (name, stack) in [("cat", false), ("stack", true)] {
            state.setFunction(in: mod, name, qualifiedName: "\(fn).\(name)",
                              doc: "discern.tensor.\(name)(list_of_tensors, dim=0) -> discern.Tensor (\(stack ? "new" : "existing") dim, 0-based).") { call in
                let ts = try tensorList(call, 1)
                let dim = try call.optInteger(2) ?? 0
                return push(call, stack ? try Tensor.stack(ts, dim: dim) : try Tensor.cat(ts, dim: dim))
            }
        }
        state.setFunction(in: mod, "where", qualifiedName: "\(fn).where",
                          doc: "discern.tensor.where(cond, a, b) -> elements of a where cond (bool) is true, else of b.") { call in
            let c = try cls.check(call, 1)
            let a = try tensorOrNumber(call, 2, like: nil)
            let b = try tensorOrNumber(call, 3, like: a)
            return push(call, try Tensor.where(c, a, b))
        }
        state.setFunction(in: mod, "embedding", qualifiedName: "\(fn).embedding",
                          doc: "discern.tensor.embedding(weight, indices) -> rows of weight [vocab, d] at integer indices.") { call in
            push(call, try Tensor.embedding(try cls.check(call, 1), try cls.check(call, 2)))
        }
        state.setFunction(in: mod, "grad", qualifiedName: "\(fn).grad", doc: """
            discern.tensor.grad(outputs, inputs, opts) -> list of gradients (torch.autograd.grad).
            outputs/inputs: a tensor or list of tensors; opts: grad_outputs (list), retain_graph, create_graph, allow_unused.
            """) { call in
            let outs = try tensorList(call, 1)
            let ins = try tensorList(call, 2)
            var gradOuts: [Tensor?]? = nil
            var retain = false, create = false, unused = false
            if let o = try call.options(3, allowed: ["grad_outputs", "retain_graph", "create_graph", "allow_unused"]) {
                retain = try o.bool("retain_graph") ?? false
                create = try o.bool("create_graph") ?? false
                unused = try o.bool("allow_unused") ?? false
                if try o.push("grad_outputs") != LUA_TNIL {
                    gradOuts = try tensorList(call, lua_gettop(call.L))
                }
                dlua_pop(call.L, 1)
            }
            let gs = try Torch.grad(outputs: outs, inputs: ins, gradOutputs: gradOuts, retainGraph: retain,
                                    createGraph: create, allowUnused: unused)
            lua_createtable(call.L, Int32(gs.count), 0)
            for (k, g) in gs.enumerated() {
                if let g { cls.push(call.L, g) } else { lua_pushboolean(call.L, 0) }
                lua_rawseti(call.L, -2, lua_Integer(k + 1))
            }
            return 1
        }
        state.setFunction(in: mod, "no_grad", qualifiedName: "\(fn).no_grad",
                          doc: "discern.tensor.no_grad(fn, ...) -> results of fn(...) run with autograd recording off.") { call in
            try call.checkFunction(1)
            let st = LuaState(borrowing: call.L)
            let nargs = call.count - 1
            return try Torch.noGrad { try st.pcall(nargs: nargs) }
        }
        state.setFunction(in: mod, "is_tensor", qualifiedName: "\(fn).is_tensor",
                          doc: "discern.tensor.is_tensor(v) -> true when v is a live discern.Tensor.") { call in
            call.push(cls.test(call.L, 1) != nil)
            return 1
        }

        // Make the module callable: discern.tensor(data, opts).
        lua_createtable(L, 0, 1)
        state.pushFunction(fn) { call in
            lua_rotate(call.L, 1, -1)
            dlua_pop(call.L, 1)  // drop the module table (self)
            return try newTensor(call)
        }
        lua_setfield(L, -2, "__call")
        lua_setmetatable(L, mod)
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
        let c = try creationOptions(call, 2)
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
        c.method("shape", doc: "t:shape() -> list of sizes (a 1-based Lua list).") { call, t in call.push(list: t.shape); return 1 }
        c.method("dim", doc: "t:dim() -> number of dimensions.") { call, t in call.push(t.ndim); return 1 }
        c.method("numel", doc: "t:numel() -> number of elements.") { call, t in call.push(t.numel); return 1 }
        c.method("size", doc: "t:size(dim) -> size of a dimension (0-based, negative counts from the end).") { call, t in
            let d = try call.integer(2)
            let n = t.ndim
            let r = d < 0 ? d + n : d
            guard r >= 0 && r < n else { throw LuaError(code: "index", "dimension \(d) out of range for a tensor with \(n) dimension(s)") }
            call.push(t.shape[r])
            return 1
        }
        c.method("dtype", doc: "t:dtype() -> dtype name (\"float32\", …).") { call, t in call.push(t.dtype.rawValue); return 1 }
        c.method("device", doc: "t:device() -> device name (\"cpu\", \"cuda:0\").") { call, t in call.push(t.device.description); return 1 }
        c.method("requires_grad", doc: "t:requires_grad() -> whether autograd tracks t.") { call, t in call.push(t.requiresGrad); return 1 }
        c.method("requires_grad_", doc: "t:requires_grad_(on=true) -> t, with gradient tracking switched on/off.") { call, t in
            try t.requiresGrad(call.isNil(2) ? true : call.bool(2))
            return push(call, t)
        }
        c.method("is_leaf", doc: "t:is_leaf() -> whether t is a leaf of the autograd graph.") { call, t in call.push(t.isLeaf); return 1 }
        c.method("tolist", doc: "t:tolist() -> nested Lua tables of numbers (a number for a 0-dim tensor).") { call, t in
            try pushList(call, t)
            return 1
        }
        c.method("item", doc: "t:item() -> the number in a one-element tensor.") { call, t in
            if t.dtype.isFloatingPoint { call.push(try t.item()) }
            else if t.dtype == .bool { call.push(try t.itemInt() != 0) }
            else { call.push(Int(try t.itemInt())) }
            return 1
        }
        c.method("format", doc: "t:format(limit=1000) -> the values as nested brackets (elided after limit elements).") { call, t in
            call.push(try t.formatValues(limit: try call.optInteger(2) ?? 1000))
            return 1
        }

        // Reductions with an optional dim (0-based) and opts {keepdim=}.
        for (name, fn) in [("sum", { (t: Tensor, d: [Int], k: Bool) in try t.sum(dims: d, keepdim: k) }),
                           ("mean", { (t: Tensor, d: [Int], k: Bool) in try t.mean(dims: d, keepdim: k) }),
                           ("amax", { (t: Tensor, d: [Int], k: Bool) in try t.amax(dims: d, keepdim: k) }),
                           ("amin", { (t: Tensor, d: [Int], k: Bool) in try t.amin(dims: d, keepdim: k) })] {
            c.method(name, doc: "t:\(name)(dim, opts) -> \(name) over dim (a number or list, 0-based) or all elements; opts: keepdim.") { call, t in
                var dims: [Int] = []
                if call.type(2) == LUA_TTABLE { dims = try call.integerList(2) } else if let d = try optDim(call, 2) { dims = [d] }
                let keep = try call.options(3, allowed: ["keepdim"])?.bool("keepdim") ?? false
                return push(call, try fn(t, dims, keep))
            }
        }
        for name in ["max", "min"] {
            c.method(name, doc: "t:\(name)(dim, opts) -> values, indices along dim (0-based); without dim, the \(name) of all elements.") { call, t in
                guard let d = try optDim(call, 2) else {
                    return push(call, name == "max" ? try t.amax() : try t.amin())
                }
                let keep = try call.options(3, allowed: ["keepdim"])?.bool("keepdim") ?? false
                let r = name == "max" ? try t.max(dim: d, keepdim: keep) : try t.min(dim: d, keepdim: keep)
                cls.push(call.L, r.values)
                cls.push(call.L, r.indices)
                return 2
            }
        }
        for name in ["argmax", "argmin"] {
            c.method(name, doc: "t:\(name)(dim, opts) -> int64 indices along dim (of the flattened tensor without dim); opts: keepdim.") { call, t in
                let d = try optDim(call, 2)
                let keep = try call.options(3, allowed: ["keepdim"])?.bool("keepdim") ?? false
                return push(call, name == "argmax" ? try t.argmax(dim: d, keepdim: keep) : try t.argmin(dim: d, keepdim: keep))
            }
        }
        c.method("prod", doc: "t:prod(dim) -> product along dim, or of all elements.") { call, t in
            push(call, try t.prod(dim: try optDim(call, 2)))
        }

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
        for (name, what, f) in unaries {
            c.method(name, doc: "t:\(name)() -> \(what), elementwise.") { call, t in push(call, try f(t)) }
        }
        c.method("gelu", doc: "t:gelu(opts) -> GELU; opts: approximate = \"none\" (erf, default) or \"tanh\".") { call, t in
            let a = try call.options(2, allowed: ["approximate"])?.string("approximate") ?? "none"
            guard a == "none" || a == "tanh" else { throw LuaError(code: "arg", "option 'approximate' must be \"none\" or \"tanh\", got \"\(a)\"") }
            return push(call, try t.gelu(approximate: a == "tanh"))
        }
        c.method("softmax", doc: "t:softmax(dim) -> softmax along dim (0-based).") { call, t in push(call, try t.softmax(dim: try call.integer(2))) }
        c.method("log_softmax", doc: "t:log_softmax(dim) -> log-softmax along dim (0-based).") { call, t in
            push(call, try t.logSoftmax(dim: try call.integer(2)))
        }
        c.method("cumsum", doc: "t:cumsum(dim) -> cumulative sum along dim.") { call, t in push(call, try t.cumsum(dim: try call.integer(2))) }
        c.method("clamp", doc: "t:clamp(min, max) -> values clamped to [min, max] (either may be nil).") { call, t in
            var r = t
            if let lo = try call.optNumber(2) { r = try r.clamp(min: lo) }
            if let hi = try call.optNumber(3) { r = try r.clamp(max: hi) }
            return push(call, r)
        }
        c.method("layer_norm", doc: "t:layer_norm(normalized_shape, opts) -> layer norm over trailing dims; opts: weight, bias, eps (1e-5).") { call, t in
            let ns = try call.integerList(2)
            var w: Tensor?, b: Tensor?, eps = 1e-5
            if let o = try call.options(3, allowed: ["weight", "bias", "eps"]) {
                eps = try o.number("eps") ?? eps
                if try o.push("weight") != LUA_TNIL { w = try cls.check(call, lua_gettop(call.L)) }
                dlua_pop(call.L, 1)
                if try o.push("bias") != LUA_TNIL { b = try cls.check(call, lua_gettop(call.L)) }
                dlua_pop(call.L, 1)
            }
            return push(call, try t.layerNorm(ns, weight: w, bias: b, eps: eps))
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
            c.method(name, doc: "t:\(name)(other) -> \(what), elementwise with broadcasting; other is a tensor or number.") { call, t in
                push(call, try f(t, try tensorOrNumber(call, 2, like: t)))
            }
        }
        c.method("matmul", doc: "t:matmul(other) -> matrix product (torch.matmul: batched, broadcast).") { call, t in
            push(call, try t.matmul(try cls.check(call, 2)))
        }
        c.method("bmm", doc: "t:bmm(other) -> batched matrix product of [b, n, m] and [b, m, p].") { call, t in
            push(call, try t.bmm(try cls.check(call, 2)))
        }

        // Shapes and indexing (dims and indices 0-based).
        c.method("reshape", doc: "t:reshape(shape) -> same values in a new shape (one size may be -1).") { call, t in
            push(call, try t.reshape(try call.integerList(2)))
        }
        c.method("view", doc: "t:view(shape) -> a view with a new shape (fails when strides do not allow it).") { call, t in
            push(call, try t.view(try call.integerList(2)))
        }
        c.method("permute", doc: "t:permute(dims) -> dimensions reordered (dims is a list of 0-based dims).") { call, t in
            push(call, try t.permute(try call.integerList(2)))
        }
        c.method("transpose", doc: "t:transpose(d0, d1) -> dims d0 and d1 swapped.") { call, t in
            push(call, try t.transpose(try call.integer(2), try call.integer(3)))
        }
        c.method("t", doc: "t:t() -> the transpose of a 2-D tensor.") { call, t in
            guard t.ndim == 2 else { throw LuaError(code: "shape", "t() expects a 2-D tensor, got \(t.ndim) dimension(s)") }
            return push(call, try t.transpose(0, 1))
        }
        c.method("expand", doc: "t:expand(shape) -> size-1 dims broadcast to shape without copying (-1 keeps a size).") { call, t in
            push(call, try t.expand(try call.integerList(2)))
        }
        c.method("squeeze", doc: "t:squeeze(dim) -> size-1 dims removed (only dim when given).") { call, t in
            push(call, try t.squeeze(dim: try optDim(call, 2)))
        }
        c.method("unsqueeze", doc: "t:unsqueeze(dim) -> a size-1 dim inserted at dim.") { call, t in
            push(call, try t.unsqueeze(try call.integer(2)))
        }
        c.method("narrow", doc: "t:narrow(dim, start, length) -> the view of length elements from start along dim.") { call, t in
            push(call, try t.narrow(dim: try call.integer(2), start: try call.integer(3), length: try call.integer(4)))
        }
        c.method("slice", doc: "t:slice(dim, start, stop, step) -> t[start:stop:step] along dim (Python semantics; stop nil = end).") { call, t in
            push(call, try t.slice(dim: try call.integer(2), start: try call.optInteger(3) ?? 0, end: try call.optInteger(4),
                                   step: try call.optInteger(5) ?? 1))
        }
        c.method("select", doc: "t:select(dim, index) -> the slice at index along dim, with dim removed.") { call, t in
            push(call, try t.select(dim: try call.integer(2), index: try call.integer(3)))
        }
        c.method("index_select", doc: "t:index_select(dim, index) -> entries at the int64 index tensor along dim.") { call, t in
            push(call, try t.indexSelect(dim: try call.integer(2), index: try cls.check(call, 3)))
        }
        c.method("gather", doc: "t:gather(dim, index) -> values at index along dim (torch.gather).") { call, t in
            push(call, try t.gather(dim: try call.integer(2), index: try cls.check(call, 3)))
        }
        c.method("scatter_add", doc: "t:scatter_add(dim, index, src) -> a copy with src added at index along dim.") { call, t in
            push(call, try t.scatterAdd(dim: try call.integer(2), index: try cls.check(call, 3), src: try cls.check(call, 4)))
        }
        c.method("masked_fill", doc: "t:masked_fill(mask, value) -> a copy with value where the bool mask is true.") { call, t in
            push(call, try t.maskedFill(try cls.check(call, 2), try call.number(3)))
        }
        c.method("triu", doc: "t:triu(diagonal=0) -> the upper triangle.") { call, t in push(call, try t.triu(try call.optInteger(2) ?? 0)) }
        c.method("tril", doc: "t:tril(diagonal=0) -> the lower triangle.") { call, t in push(call, try t.tril(try call.optInteger(2) ?? 0)) }
        c.method("split", doc: "t:split(size, dim=0) -> list of pieces of size along dim.") { call, t in
            let parts = try t.split(try call.integer(2), dim: try call.optInteger(3) ?? 0)
            return pushTensors(call, parts)
        }
        c.method("chunk", doc: "t:chunk(n, dim=0) -> list of n nearly equal chunks along dim.") { call, t in
            let parts = try t.chunk(try call.integer(2), dim: try call.optInteger(3) ?? 0)
            return pushTensors(call, parts)
        }
        c.method("topk", doc: "t:topk(k, opts) -> values, indices; opts: dim (-1), largest (true), sorted (true).") { call, t in
            let o = try call.options(3, allowed: ["dim", "largest", "sorted"])
            let r = try t.topk(try call.integer(2), dim: try o?.integer("dim") ?? -1, largest: try o?.bool("largest") ?? true,
                               sorted: try o?.bool("sorted") ?? true)
            cls.push(call.L, r.values)
            cls.push(call.L, r.indices)
            return 2
        }
        c.method("sort", doc: "t:sort(opts) -> values, indices; opts: dim (-1), descending (false), stable (false).") { call, t in
            let o = try call.options(2, allowed: ["dim", "descending", "stable"])
            let r = try t.sort(dim: try o?.integer("dim") ?? -1, descending: try o?.bool("descending") ?? false,
                               stable: try o?.bool("stable") ?? false)
            cls.push(call.L, r.values)
            cls.push(call.L, r.indices)
            return 2
        }
        c.method("multinomial", doc: "t:multinomial(n, opts) -> int64 category draws per row of t (probabilities); opts: replacement, seed.") { call, t in
            let o = try call.options(3, allowed: ["replacement", "seed"])
            let gen = try o?.integer("seed").map { try Generator(seed: UInt64(Swift.max($0, 0)), device: t.device) }
            return push(call, try t.multinomial(try call.integer(2), replacement: try o?.bool("replacement") ?? false, generator: gen))
        }
        c.method("to", doc: "t:to(dtype_or_device) -> converted copy: \"float64\", \"int64\", …, or \"cpu\", \"cuda\", \"cuda:N\".") { call, t in
            let s = try call.string(2)
            if let d = try? DType.parse(s) { return push(call, try t.to(d)) }
            if let d = try? Device.parse(s) { return push(call, try t.to(d)) }
            throw LuaError(code: "arg", "'\(s)' is neither a dtype (\(DType.allCases.map(\.rawValue).joined(separator: ", "))) nor a device (cpu, cuda, cuda:N)")
        }

        // In place (PyTorch names).
        c.method("add_", doc: "t:add_(other) -> t, with other (tensor or number) added in place.") { call, t in
            if call.type(2) == LUA_TNUMBER { try t.addInPlace(try call.number(2)) } else { try t.addInPlace(try cls.check(call, 2)) }
            return push(call, t)
        }
        c.method("mul_", doc: "t:mul_(other) -> t, multiplied in place by other (tensor or number).") { call, t in
            if call.type(2) == LUA_TNUMBER { try t.mulInPlace(try call.number(2)) } else { try t.mulInPlace(try cls.check(call, 2)) }
            return push(call, t)
        }
        c.method("copy_", doc: "t:copy_(src) -> t, with src's values (broadcast) copied in.") { call, t in
            try t.copyInPlace(from: try cls.check(call, 2))
            return push(call, t)
        }
        c.method("fill_", doc: "t:fill_(value) -> t, every element set to value.") { call, t in
            try t.fillInPlace(try call.number(2))
            return push(call, t)
        }
        c.method("zero_", doc: "t:zero_() -> t, every element set to 0.") { call, t in
            try t.zeroInPlace()
            return push(call, t)
        }

        // Autograd.
        c.method("backward", doc: "t:backward(gradient, opts) -> nil; back-propagates into .grad of leaves (gradient optional for one element); opts: retain_graph, create_graph.") { call, t in
            var g: Tensor?
            var optIdx: Int32 = 2
            if cls.test(call.L, 2) != nil { g = try cls.check(call, 2); optIdx = 3 }
            else if call.type(2) == LUA_TTABLE && call.type(3) == LUA_TNONE { optIdx = 2 }
            else if !call.isNil(2) { throw call.argError(2, "discern.Tensor or options table") }
            else { optIdx = 3 }
            let o = try call.options(optIdx, allowed: ["retain_graph", "create_graph"])
            try t.backward(gradient: g, retainGraph: try o?.bool("retain_graph") ?? false, createGraph: try o?.bool("create_graph") ?? false)
            return 0
        }
        c.method("grad", doc: "t:grad() -> the accumulated gradient tensor, or nil.") { call, t in
            guard let g = try t.grad() else { call.pushNil(); return 1 }
            return push(call, g)
        }
        c.method("zero_grad", doc: "t:zero_grad() -> nil; clears the accumulated gradient.") { call, t in
            try t.setGrad(nil)
            return 0
        }
        c.method("retain_grad", doc: "t:retain_grad() -> t; keeps the gradient of a non-leaf tensor.") { call, t in
            try t.retainGrad()
            return push(call, t)
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
            call.push(t.ndim == 0 ? 0 : t.shape[0])
            return 1
        }
    }

    static func pushTensors(_ call: LuaCall, _ ts: [Tensor]) -> Int32 {
        lua_createtable(call.L, Int32(ts.count), 0)
        for (k, t) in ts.enumerated() {
            cls.push(call.L, t)
            lua_rawseti(call.L, -2, lua_Integer(k + 1))
        }
        return 1
    }
}
