import CTorchABI

extension Tensor {
    @inline(__always) func unary(_ op: Int32) throws -> Tensor {
        try Tensor.make { a, out in a.unary(op, handle, out) }
    }
    @inline(__always) func binary(_ op: Int32, _ other: Tensor) throws -> Tensor {
        try Tensor.make { a, out in a.binary(op, handle, other.handle, out) }
    }
    @inline(__always) func scalarOp(_ op: Int32, _ s: Double) throws -> Tensor {
        try Tensor.make { a, out in a.scalar(op, handle, s, out) }
    }

    /// Elementwise negation.
    public func neg() throws -> Tensor { try unary(Int32(DT_U_NEG)) }
    /// Elementwise e^x.
    public func exp() throws -> Tensor { try unary(Int32(DT_U_EXP)) }
    /// Elementwise natural logarithm.
    public func log() throws -> Tensor { try unary(Int32(DT_U_LOG)) }
    /// Elementwise log(1 + x).
    public func log1p() throws -> Tensor { try unary(Int32(DT_U_LOG1P)) }
    /// Elementwise hyperbolic tangent.
    public func tanh() throws -> Tensor { try unary(Int32(DT_U_TANH)) }
    /// Elementwise square root.
    public func sqrt() throws -> Tensor { try unary(Int32(DT_U_SQRT)) }
    /// Elementwise 1/sqrt(x).
    public func rsqrt() throws -> Tensor { try unary(Int32(DT_U_RSQRT)) }
    /// Elementwise x².
    public func square() throws -> Tensor { try unary(Int32(DT_U_SQUARE)) }
    /// Elementwise 1/x.
    public func reciprocal() throws -> Tensor { try unary(Int32(DT_U_RECIPROCAL)) }
    /// Elementwise |x|.
    public func abs() throws -> Tensor { try unary(Int32(DT_U_ABS)) }
    /// Elementwise sign (-1, 0, 1).
    public func sign() throws -> Tensor { try unary(Int32(DT_U_SIGN)) }
    /// Elementwise floor.
    public func floor() throws -> Tensor { try unary(Int32(DT_U_FLOOR)) }
    /// Elementwise sine.
    public func sin() throws -> Tensor { try unary(Int32(DT_U_SIN)) }
    /// Elementwise cosine.
    public func cos() throws -> Tensor { try unary(Int32(DT_U_COS)) }
    /// Elementwise max(x, 0).
    public func relu() throws -> Tensor { try unary(Int32(DT_U_RELU)) }
    /// GELU: exact (erf) by default, or the tanh approximation used by GPT-2.
    public func gelu(approximate: Bool = false) throws -> Tensor {
        try unary(Int32(approximate ? DT_U_GELU_TANH : DT_U_GELU))
    }
    /// Elementwise x·sigmoid(x).
    public func silu() throws -> Tensor { try unary(Int32(DT_U_SILU)) }
    /// Elementwise logistic sigmoid.
    public func sigmoid() throws -> Tensor { try unary(Int32(DT_U_SIGMOID)) }
    /// Elementwise logical not (bool result).
    public func logicalNot() throws -> Tensor { try unary(Int32(DT_U_LOGICAL_NOT)) }
    /// Elementwise NaN test (bool result).
    public func isnan() throws -> Tensor { try unary(Int32(DT_U_ISNAN)) }
    /// A copy with its own storage (differentiable).
    public func clone() throws -> Tensor { try unary(Int32(DT_U_CLONE)) }
    /// A view sharing storage but cut from the autograd graph.
    public func detach() throws -> Tensor { try unary(Int32(DT_U_DETACH)) }
    /// This tensor, or a contiguous copy of it.
    public func contiguous() throws -> Tensor { try unary(Int32(DT_U_CONTIGUOUS)) }

    /// Elementwise a + b with broadcasting.
    public func add(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_ADD), o) }
    /// Elementwise a - b with broadcasting.
    public func sub(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_SUB), o) }
    /// Elementwise a * b with broadcasting.
    public func mul(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_MUL), o) }
    /// Elementwise a / b with broadcasting (true division).
    public func div(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_DIV), o) }
    /// Elementwise a ^ b with broadcasting.
    public func pow(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_POW), o) }
    /// Elementwise a ^ s.
    public func pow(_ s: Double) throws -> Tensor { try scalarOp(Int32(DT_S_POW), s) }
    /// Matrix product with `torch.matmul` semantics (batched and broadcast).
    /// - Throws: `TorchError` of kind `shape` when the inner sizes differ.
    public func matmul(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_MATMUL), o) }
    /// Affine map `self @ weight^T + bias` (`torch.nn.functional.linear`); weight is [out, in].
    /// - Throws: `TorchError` of kind `shape` when the last dimension differs from `in`.
    public func linear(_ weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try Tensor.make { a, out in a.linear(handle, weight.handle, bias?.handle, out) }
    }
    /// Batched matrix product of [b, n, m] and [b, m, p].
    public func bmm(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_BMM), o) }
    /// Elementwise maximum.
    public func maximum(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_MAXIMUM), o) }
    /// Elementwise minimum.
    public func minimum(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_MINIMUM), o) }
    /// Clamps from below.
    public func clamp(min: Double) throws -> Tensor { try scalarOp(Int32(DT_S_CLAMP_MIN), min) }
    /// Clamps from above.
    public func clamp(max: Double) throws -> Tensor { try scalarOp(Int32(DT_S_CLAMP_MAX), max) }
    /// Elementwise logical and (bool result).
    public func logicalAnd(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_LOGICAL_AND), o) }
    /// Elementwise logical or (bool result).
    public func logicalOr(_ o: Tensor) throws -> Tensor { try binary(Int32(DT_B_LOGICAL_OR), o) }

    /// A comparison operator.
    public enum Comparison: Sendable { case eq, ne, lt, le, gt, ge }

    /// Elementwise comparison with broadcasting (bool result).
    public func compare(_ c: Comparison, _ o: Tensor) throws -> Tensor {
        let op: Int32 = switch c {
        case .eq: Int32(DT_B_EQ)
        case .ne: Int32(DT_B_NE)
        case .lt: Int32(DT_B_LT)
        case .le: Int32(DT_B_LE)
        case .gt: Int32(DT_B_GT)
        case .ge: Int32(DT_B_GE)
        }
        return try binary(op, o)
    }

    /// Elementwise comparison with a number (bool result).
    public func compare(_ c: Comparison, _ s: Double) throws -> Tensor {
        let op: Int32 = switch c {
        case .eq: Int32(DT_S_EQ)
        case .ne: Int32(DT_S_NE)
        case .lt: Int32(DT_S_LT)
        case .le: Int32(DT_S_LE)
        case .gt: Int32(DT_S_GT)
        case .ge: Int32(DT_S_GE)
        }
        return try scalarOp(op, s)
    }

    /// Elementwise sum.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.add(b) }
    /// Elementwise difference.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.sub(b) }
    /// Elementwise product.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.mul(b) }
    /// Elementwise quotient.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.div(b) }
    /// Adds a number to every element.
    public static func + (a: Tensor, s: Double) throws -> Tensor { try a.scalarOp(Int32(DT_S_ADD), s) }
    /// Subtracts a number from every element.
    public static func - (a: Tensor, s: Double) throws -> Tensor { try a.scalarOp(Int32(DT_S_SUB), s) }
    /// Multiplies every element by a number.
    public static func * (a: Tensor, s: Double) throws -> Tensor { try a.scalarOp(Int32(DT_S_MUL), s) }
    /// Divides every element by a number.
    public static func / (a: Tensor, s: Double) throws -> Tensor { try a.scalarOp(Int32(DT_S_DIV), s) }
    /// Adds every element to a number.
    public static func + (s: Double, a: Tensor) throws -> Tensor { try a.scalarOp(Int32(DT_S_ADD), s) }
    /// Subtracts every element from a number.
    public static func - (s: Double, a: Tensor) throws -> Tensor { try a.scalarOp(Int32(DT_S_RSUB), s) }
    /// Multiplies a number by every element.
    public static func * (s: Double, a: Tensor) throws -> Tensor { try a.scalarOp(Int32(DT_S_MUL), s) }
    /// Divides a number by every element.
    public static func / (s: Double, a: Tensor) throws -> Tensor { try a.scalarOp(Int32(DT_S_RDIV), s) }
    /// Elementwise negation.
    public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }

    /// A number raised to each element.
    public static func pow(_ s: Double, _ a: Tensor) throws -> Tensor { try a.scalarOp(Int32(DT_S_RPOW), s) }
}
