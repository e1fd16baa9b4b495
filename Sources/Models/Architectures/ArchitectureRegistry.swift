// The transformer families Discern loads, keyed by HF `model_type`.

/// Maps HF `model_type` values to the family that implements them.
///
/// `standard` lists every built-in family; adding one is a line here and a file beside this one.
/// A registry is a value: a caller (a test) can extend a copy without changing `standard`.
struct ArchitectureRegistry: Sendable {
    /// The families, in the order their model types are listed to users.
    private(set) var architectures: [any ModelArchitecture] = []

    /// The built-in families.
    static let standard = ArchitectureRegistry([
        GPT2Architecture(),
        LlamaArchitecture(),
        BERTArchitecture(),
    ])

    /// A registry of `architectures`.
    init(_ architectures: [any ModelArchitecture]) {
        for a in architectures { register(a) }
    }

    /// Adds a family.
    /// - Precondition: none of its model types is registered yet.
    mutating func register(_ a: any ModelArchitecture) {
        for t in a.modelTypes {
            precondition(architecture(modelType: t) == nil, "model_type \(t) is registered twice")
        }
        architectures.append(a)
    }

    /// The family loading `modelType`, or nil.
    func architecture(modelType: String) -> (any ModelArchitecture)? {
        architectures.first { $0.modelTypes.contains(modelType) }
    }

    /// Every model type, in listing order, of the families that pass `filter`.
    func modelTypes(where filter: (any ModelArchitecture) -> Bool = { _ in true }) -> [String] {
        architectures.filter(filter).flatMap(\.modelTypes)
    }
}
