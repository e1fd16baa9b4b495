import CTorchABI

/// Where a tensor's storage lives: the CPU or a CUDA device.
public enum Device: Equatable, Hashable, Sendable, CustomStringConvertible {
    case cpu
    /// A CUDA device; `nil` index means the current device.
    case cuda(Int?)

    /// Parses `cpu`, `cuda` or `cuda:N`.
    /// - Throws: `TorchError` of kind `device` for anything else.
    public static func parse(_ s: String) throws -> Device {
        if s == "cpu" { return .cpu }
        if s == "cuda" { return .cuda(nil) }
        if s.hasPrefix("cuda:"), let n = Int(s.dropFirst(5)), n >= 0 { return .cuda(n) }
        throw TorchError(.device, "unknown device '\(s)' (expected cpu, cuda or cuda:N)")
    }

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .cuda(nil): "cuda"
        case .cuda(let n?): "cuda:\(n)"
        }
    }

    var codes: (Int32, Int32) {
        switch self {
        case .cpu: (Int32(DT_CPU), -1)
        case .cuda(let n): (Int32(DT_CUDA), Int32(n ?? -1))
        }
    }

    init(type: Int32, index: Int32) {
        self = type == Int32(DT_CUDA) ? .cuda(index < 0 ? nil : Int(index)) : .cpu
    }
}
