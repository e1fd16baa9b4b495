// `discern-bench behavior DIR`: k-means (Lloyd from given centres) and embedding throughput
// (Scripts/bench/behavior.sh). Reads the inputs Scripts/bench/behavior_ref.py prepared in DIR, so the
// reference runs on the very same numbers and texts, and prints one JSON line per measurement.
import Behavior
import COpenBLAS
import Foundation
import Models
import Tensor

enum BehaviorBench {
    static func run(_ args: [String]) throws {
        if args.first == "--find-minilm" {
            print(try Embedder.findMiniLM())
            return
        }
        guard let dir = args.first else { throw BehaviorError("usage: discern-bench behavior DIR [--threads N]") }
        let threads = args.count >= 3 && args[1] == "--threads" ? Int(args[2]) ?? 2 : 2
        openblas_set_num_threads(Int32(threads))
        try Torch.setNumThreads(threads)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))) as! [String: Any]
        let n = meta["n"] as! Int, d = meta["d"] as! Int, k = meta["k"] as! Int, iters = meta["iters"] as! Int
        func floats(_ name: String, _ count: Int) throws -> [Float] {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            guard data.count == count * 4 else { throw BehaviorError("\(name): \(data.count) bytes, expected \(count * 4)") }
            return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        let x = try FloatMatrix(try floats("x.f32", n * d), rows: n, cols: d)
        var o = KMeansOptions(k: k)
        o.initialCentroids = try floats("init.f32", k * d)
        o.maxIter = iters
        o.tol = 0
        var bestT = Double.infinity
        var result: KMeansResult?
        for _ in 0..<3 {
            let t0 = now()
            let r = try KMeans.fit(x, o)
            bestT = min(bestT, now() - t0)
            result = r
        }
        emit(["name": "kmeans", "seconds": bestT, "inertia": result!.inertia, "iterations": result!.iterations,
              "threads": threads])

        let texts = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/texts.json"))) as! [String]
        let embedder = try Embedder(directory: try Embedder.findMiniLM())
        _ = try embedder.encode(Array(texts.prefix(64)))
        var bestE = Double.infinity
        var first: [Float] = []
        for _ in 0..<2 {
            let t0 = now()
            let e = try embedder.encode(texts, batchSize: 32)
            bestE = min(bestE, now() - t0)
            first = Array(try e.floats().prefix(embedder.dimension))
        }
        emit(["name": "embed", "seconds": bestE, "texts": texts.count, "first": first.map(Double.init), "threads": threads])
    }

    static func emit(_ o: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
