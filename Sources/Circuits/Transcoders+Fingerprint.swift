// A content fingerprint of a transcoder set, for cache keys.
import Models
import Tensor

extension Transcoders {
    /// A 64-bit content fingerprint (16 hex digits) of the transcoders: kind, hooks, activation
    /// functions and every weight's dtype, shape and bytes. The same weights give the same
    /// fingerprint whatever file format they were read from; it does not depend on the path.
    ///
    /// File-backed weights that were not materialised before are dropped again afterwards, so the
    /// fingerprint of a large set can be taken without keeping it in memory.
    /// - Complexity: reads every weight once.
    /// - Throws: `TranscoderError` or `TorchError` when a weight cannot be read.
    public func fingerprint() throws -> String {
        var f = Fingerprint()
        f.add(isCrossLayer ? "cross_layer_transcoder" : "transcoder_set")
        f.add(featureInputHook)
        f.add(featureOutputHook)
        f.add(nLayers)
        func add(_ t: Tensor?) throws {
            guard let t else { f.add("none"); return }
            try f.add(t)
        }
        func addActivation(_ a: TranscoderActivation) {
            switch a {
            case .relu: f.add("relu")
            case .jumpReLU: f.add("jumprelu")
            case .topK(let k): f.add("topk"); f.add(k)
            }
        }
        switch self {
        case .perLayer(let s):
            for t in s.transcoders {
                let wasResident = t.isResident
                f.add(t.layer)
                addActivation(t.activation)
                for w in [try t.wEnc, try t.bEnc, try t.wDec, try t.bDec] { try add(w) }
                try add(try t.threshold)
                try add(try t.wSkip)
                if !wasResident { t.release() }
            }
        case .crossLayer(let c):
            let wasResident = c.isResident
            addActivation(c.activation)
            for l in 0..<c.nLayers {
                for w in [try c.wEnc(layer: l), try c.bEnc(layer: l), try c.wDec(layer: l), try c.bDec(layer: l)] { try add(w) }
                try add(try c.threshold(layer: l))
                // Drop each layer as soon as it is hashed (the CLT releases all layers at once).
                if !wasResident { c.release() }
            }
        }
        return f.hex
    }
}
