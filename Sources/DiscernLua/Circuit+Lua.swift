import CLua
import Circuits
import Foundation
import LuaKit
import Models
import Tensor

extension TranscoderError: LuaCodedError {
    public var luaCode: String { "transcoder" }
    /// `transcoder file <path>: <message>`, or `transcoder set: <message>` for a set in memory
    /// (the Swift placeholders `<memory>` and `<transcoder set>` are not file names).
    public var luaMessage: String { path.hasPrefix("<") ? "transcoder set: \(message)" : description }
}

/// A loaded transcoder set (per-layer or cross-layer) as a Lua value.
final class TranscodersBox {
    let value: Transcoders
    /// Where it was loaded from or saved to (nil for fresh, unsaved sets).
    var path: String?
    init(_ value: Transcoders, path: String?) {
        self.value = value
        self.path = path
    }
}

/// Lua bindings of `discern.circuit` and the `discern.Transcoders` userdata.
enum CircuitLua {
    nonisolated(unsafe) static let transcodersClass = LuaClass<TranscodersBox>("discern.Transcoders") { t in
        "discern.Transcoders(\(t.value)\(t.path.map { ", " + $0 } ?? ""))"
    }
    /// Defines the methods of every circuit class, once per process (a static let's initialiser runs
    /// once, thread-safely, however many Lua states open the module).
    private static let methods: Void = {
        defineTranscoderMethods()
        defineReplacementMethods()
        defineGraphMethods()
        defineInterpretationMethods()
        defineDiffingMethods()
    }()

    /// Builds the `discern.circuit` table on top of the stack.
    static func open(_ state: LuaState) {
        _ = methods
        transcodersClass.register(in: state)
        crosscoderClass.register(in: state)
        ModelLua.defineMethods()
        ModelLua.cls.register(in: state)
        TensorLua.register(state)
        let m = LuaModuleBuilder(state, "discern.circuit", doc: """
            discern.circuit: transcoders (load_transcoders), their training, replacement models, attribution graphs,
            pruning, interventions and feature interpretation.
            """)
        m.function("load_transcoders", "(path: string) -> discern.Transcoders", """
            Opens a transcoder directory in circuit-tracer's layout (config.yaml with model_kind transcoder_set or
            cross_layer_transcoder, feature_input_hook, feature_output_hook, and its layer files: per-layer safetensors,
            GemmaScope params.npz or GemmaScope-2 safetensors). Weights are memory-mapped and materialised on first use.
            """) { call in
            let path = try call.string(1)
            return call.push(TranscodersBox(try Transcoders(contentsOf: path), path: path), transcodersClass)
        }
        defineGraphs(m)
        // MARK: training (discern.circuit.train_transcoders) is defined in CircuitTrain+Lua.swift.
        defineTraining(state, m.index)
        defineInterpretation(m)
        defineDiffing(m)
    }

    /// `transcoders:info()`, computed from the set.
    struct TranscodersInfo {
        let box: TranscodersBox
        let activations: [TranscoderActivation]
        let skip: [Bool]
        init(_ box: TranscodersBox) throws {
            let t = box.value
            self.box = box
            activations = (0..<t.nLayers).map { t.activation(layer: $0) }
            skip = try (0..<t.nLayers).map { try t.skipMatrix(layer: $0) != nil }
        }
        var kind: String { box.value.isCrossLayer ? "cross_layer_transcoder" : "transcoder_set" }
        var widths: [Int] { (0..<box.value.nLayers).map { box.value.dTranscoder(layer: $0) } }
        var activationNames: [String] {
            activations.map { a in switch a { case .relu: "relu"; case .jumpReLU: "jumprelu"; case .topK: "topk" } }
        }
        var ks: [Int]? {
            let ks = activations.compactMap { a -> Int? in if case .topK(let k) = a { k } else { nil } }
            return ks.count == activations.count ? ks : nil
        }
    }
    nonisolated(unsafe) static let transcodersInfo = LuaRecordSpec<TranscodersInfo>("discern.circuit.TranscodersInfo", [
        .string("kind", \.kind, "\"transcoder_set\" or \"cross_layer_transcoder\""), .integer("n_layers", \.box.value.nLayers),
        .integer("d_model", \.box.value.dModel), .integers("d_transcoder", \.widths, "per layer"),
        .strings("activation", \.activationNames, "per layer: \"relu\", \"jumprelu\" or \"topk\""),
        .integers("k", \.ks, "per layer (TopK only)"), .string("feature_input_hook", \.box.value.featureInputHook),
        .string("feature_output_hook", \.box.value.featureOutputHook), .booleans("skip", \.skip, "per layer: has a skip connection"),
        .string("path", \.box.path, "where it was loaded from or saved to"),
    ])

    static func defineTranscoderMethods() {
        let cls = transcodersClass
        cls.method("info", "() -> discern.circuit.TranscodersInfo", "The set's kind, sizes, activations and hooks.") { call, box in
            try call.push(try TranscodersInfo(box), transcodersInfo)
        }
        cls.method("save", "(dir: string)", """
            Writes the set in circuit-tracer's layout (config.yaml + one safetensors file per layer, or the CLT's
            W_enc_i/W_dec_i files). The directory is created when missing.
            """) { call, box in
            let path = try call.string(2)
            try box.value.save(to: path)
            box.path = box.path ?? path
            return 0
        }
        cls.method("release", "()", "Drops materialised weights of a file-backed set (they reload on use).") { _, box in
            box.value.release()
            return 0
        }
        cls.method("encode", "(layer: integer, x: discern.Tensor) -> discern.Tensor", """
            Feature activations of layer (0-based) for inputs x [..., d_model] read at the feature input hook.
            """) { call, box in
            let layer = try call.integer(2)
            guard layer >= 0, layer < box.value.nLayers else {
                throw call.argError(2, "layer in 0..<\(box.value.nLayers)")
            }
            let x = try TensorLua.cls.check(call, 3)
            return call.push(try box.value.encode(x, layer: layer), TensorLua.cls)
        }
    }
}
