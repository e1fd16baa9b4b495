import CTorchABI

/// The element type of a tensor.
public enum DType: String, CaseIterable, Sendable {
    case float32, float16, bfloat16, float64, int64, int32, bool, uint8

    /// The backend's code for this dtype.
    var code: Int32 {
        switch self {
        case .float32: Int32(DT_FLOAT32)
        case .float16: Int32(DT_FLOAT16)
        case .bfloat16: Int32(DT_BFLOAT16)
        case .float64: Int32(DT_FLOAT64)
        case .int64: Int32(DT_INT64)
        case .int32: Int32(DT_INT32)
        case .bool: Int32(DT_BOOL)
        case .uint8: Int32(DT_UINT8)
        }
    }

    init?(code: Int32) {
        guard let d = DType.allCases.first(where: { $0.code == code }) else { return nil }
        self = d
    }

    /// Parses a dtype name; accepts PyTorch aliases (`float`, `double`, `half`, `long`, `int`).
    /// - Throws: `TorchError` of kind `dtype` naming the accepted names.
    public static func parse(_ name: String) throws -> DType {
        switch name {
        case "float", "float32": return .float32
        case "half", "float16": return .float16
        case "bfloat16": return .bfloat16
        case "double", "float64": return .float64
        case "long", "int64": return .int64
        case "int", "int32": return .int32
        case "bool": return .bool
        case "uint8": return .uint8
        default:
            throw TorchError(.dtype, "unknown dtype '\(name)' (expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float16, .bfloat16: 2
        case .float64, .int64: 8
        case .bool, .uint8: 1
        }
    }

    /// Whether the dtype holds floating-point values.
    public var isFloatingPoint: Bool { self == .float32 || self == .float16 || self == .bfloat16 || self == .float64 }
}
