/// An error raised by the torch backend or by argument checks in the `Tensor` module.
public struct TorchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad class of a failure.
    public enum Kind: String, Sendable {
        case shape, dtype, device, index, value, oom, autograd, backend
    }

    /// What class of failure this is (`shape` for mismatched sizes, `dtype` for unsupported types, …).
    public let kind: Kind
    /// A human-readable message naming what was wrong.
    public let message: String

    /// Creates an error of a given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension TorchError {
    /// Decodes a backend error string "<kind>\t<message>" (and frees it).
    static func take(_ raw: UnsafeMutablePointer<CChar>, free: (UnsafeMutablePointer<CChar>?) -> Void) -> TorchError {
        let s = String(cString: raw)
        free(raw)
        guard let tab = s.firstIndex(of: "\t") else { return TorchError(.backend, s) }
        let kind = Kind(rawValue: String(s[..<tab])) ?? .backend
        var msg = String(s[s.index(after: tab)...])
        while msg.hasSuffix("\n") { msg.removeLast() }
        return TorchError(kind, msg)
    }
}
