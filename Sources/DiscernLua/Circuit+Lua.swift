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
    }()

    /// Builds the `discern.circuit` table on top of the stack.
    static func open(_ state: LuaState) {
        let L = state.L
        _ = methods
        transcodersClass.register(in: state)
        ModelLua.defineMethods()
        ModelLua.cls.register(in: state)
        TensorLua.register(state)
        lua_createtable(L, 0, 8)
        let mod = lua_gettop(L)
        state.setFunction(in: mod, "load_transcoders", qualifiedName: "discern.circuit.load_transcoders", doc: """
            discern.circuit.load_transcoders(path) -> discern.Transcoders
            Opens a transcoder directory in circuit-tracer's layout (config.yaml with model_kind transcoder_set or
            cross_layer_transcoder, feature_input_hook, feature_output_hook, and its layer files: per-layer safetensors,
            GemmaScope params.npz or GemmaScope-2 safetensors). Weights are memory-mapped and materialised on first use.
            """) { call in
            let path = try call.string(1)
            transcodersClass.push(call.L, TranscodersBox(try Transcoders(contentsOf: path), path: path))
            return 1
        }
        defineGraphs(state, mod)
        // MARK: training (discern.circuit.train_transcoders) is defined in CircuitTrain+Lua.swift.
        defineTraining(state, mod)
        defineInterpretation(state, mod)
        state.setDoc(forValueAt: mod, """
            discern.circuit: transcoders (load_transcoders), their training, replacement models, attribution graphs,
            pruning, interventions and feature interpretation.
            """)
    }

    static func defineTranscoderMethods() {
        let cls = transcodersClass
        cls.method("info", doc: """
            transcoders:info() -> {kind = "transcoder_set"|"cross_layer_transcoder", n_layers, d_model, d_transcoder = {per layer},
              activation = {per layer: "relu"|"jumprelu"|"topk"}, k = {per layer, TopK only}, feature_input_hook, feature_output_hook,
              skip = {per layer booleans}, path}
            """) { call, box in
            let t = box.value
            let r = StatsTestsLua.Table(call, 10)
            r.set("kind", t.isCrossLayer ? "cross_layer_transcoder" : "transcoder_set")
            r.set("n_layers", t.nLayers)
            r.set("d_model", t.dModel)
            call.push(list: (0..<t.nLayers).map { t.dTranscoder(layer: $0) })
            lua_setfield(call.L, -2, "d_transcoder")
            let acts = (0..<t.nLayers).map { t.activation(layer: $0) }
            call.push(strings: acts.map { a -> String in
                switch a { case .relu: "relu"; case .jumpReLU: "jumprelu"; case .topK: "topk" }
            })
            lua_setfield(call.L, -2, "activation")
            let ks = acts.compactMap { a -> Int? in if case .topK(let k) = a { k } else { nil } }
            if ks.count == acts.count {
                call.push(list: ks)
                lua_setfield(call.L, -2, "k")
            }
            call.push(booleans: try (0..<t.nLayers).map { try t.skipMatrix(layer: $0) != nil })
            lua_setfield(call.L, -2, "skip")
            r.set("feature_input_hook", t.featureInputHook)
            r.set("feature_output_hook", t.featureOutputHook)
            if let p = box.path { r.set("path", p) }
            return 1
        }
        cls.method("save", doc: """
            transcoders:save(dir): writes the set in circuit-tracer's layout (config.yaml + one safetensors file per layer, or
            the CLT's W_enc_i/W_dec_i files). The directory is created when missing.
            """) { call, box in
            let path = try call.string(2)
            try box.value.save(to: path)
            box.path = box.path ?? path
            return 0
        }
        cls.method("release", doc: "transcoders:release(): drops materialised weights of a file-backed set (they reload on use).") { _, box in
            box.value.release()
            return 0
        }
        cls.method("encode", doc: """
            transcoders:encode(layer, x) -> discern.Tensor: feature activations of layer (0-based) for inputs x [..., d_model]
            read at the feature input hook.
            """) { call, box in
            let layer = try call.integer(2)
            guard layer >= 0, layer < box.value.nLayers else {
                throw call.argError(2, "layer in 0..<\(box.value.nLayers)")
            }
            let x = try TensorLua.cls.check(call, 3)
            TensorLua.cls.push(call.L, try box.value.encode(x, layer: layer))
            return 1
        }
    }
}
