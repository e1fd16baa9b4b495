// Benchmarks. No argument: foundation (Scripts/bench/foundation.sh): per-op overhead and matmul vs
// OpenBLAS. `models …`: generation and scoring throughput (Scripts/bench/models.sh). `stats …`: online
// FDR streams and Fisher exact tests (Scripts/bench/stats.sh). `train …`: training tokens/s vs PyTorch
// (Scripts/bench/train.sh). `circuits …`: attribution graphs vs prompt length (Scripts/bench/circuits.sh). `behavior DIR`: k-means
// and embedding throughput vs scikit-learn and sentence-transformers (Scripts/bench/behavior.sh).
// Every row is measured against a reference taken in the same run; read the ratios.
import COpenBLAS
import DiscernLua
import Foundation
import LuaKit
import Models
import Tensor

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func best(_ reps: Int, _ body: () throws -> Double) rethrows -> Double {
    var b = Double.infinity
    for _ in 0..<reps { b = Swift.min(b, try body()) }
    return b
}

func foundationBench() throws {
    let n = Int(ProcessInfo.processInfo.environment["BENCH_OPS"] ?? "") ?? 100_000
    try Torch.setNumThreads(1)
    let a = try Tensor.ones([1]), b = try Tensor.ones([1])

    let cpp = try best(5) { try Torch.benchAddLoop(n) } / Double(n) * 1e6
    let swift = try best(5) {
        let t0 = now()
        for _ in 0..<n { _ = try a + b }
        return now() - t0
    } / Double(n) * 1e6
    let st = try LuaState()
    DiscernLua.install(in: st)
    try st.execute("""
        local discern = require 'discern'
        local a, b = discern.tensor({1}), discern.tensor({1})
        function bench_lua(n)
          local t0 = discern.clock()
          for _ = 1, n do local _ = a + b end
          local t = discern.clock() - t0
          collectgarbage()
          return t
        end
        """)
    let lua = try best(5) {
        try st.execute("return bench_lua(\(n))")
        let t = Double(st.toDisplayString(-1)) ?? .nan
        return t
    } / Double(n) * 1e6

    print("Per-op overhead: \(n) adds of 1-element float32 tensors, 1 thread, best of 5")
    print("| path        | µs/op | overhead vs C++ (µs) | target |")
    print("|-------------|-------|----------------------|--------|")
    print(String(format: "| C++ in shim | %5.2f |                    - | ref    |", cpp))
    print(String(format: "| Swift       | %5.2f | %20.2f | ≤ 2    |", swift, swift - cpp))
    print(String(format: "| Lua         | %5.2f | %20.2f | ≤ 4    |", lua, lua - cpp))

    let m = 1024
    print("\n\(m)x\(m) float32 matmul, best of 10 (ms)")
    print("| threads | discern | cblas_sgemm | ratio | target |")
    print("|---------|---------|-------------|-------|--------|")
    let x = try Tensor.randn([m, m], generator: Generator(seed: 1))
    let y = try Tensor.randn([m, m], generator: Generator(seed: 2))
    let xs = try x.floats(), ys = try y.floats()
    var zs = [Float](repeating: 0, count: m * m)
    for threads in [1, 2] {
        try Torch.setNumThreads(threads)
        openblas_set_num_threads(Int32(threads))
        _ = try x.matmul(y)
        let d = try best(10) {
            let t0 = now()
            _ = try x.matmul(y)
            return now() - t0
        } * 1e3
        let r = best(10) {
            let t0 = now()
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(m), Int32(m), 1, xs, Int32(m), ys, Int32(m), 0, &zs, Int32(m))
            return now() - t0
        } * 1e3
        print(String(format: "| %7d | %7.2f | %11.2f | %5.2f | ≤ 1.1  |", threads, d, r, d / r))
    }
}

if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "behavior" {
    try BehaviorBench.run(Array(CommandLine.arguments.dropFirst(2)))
} else if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "stats" {
    try StatsBench.run(Array(CommandLine.arguments.dropFirst(2)))
} else if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "train" {
    try TrainBench.run(Array(CommandLine.arguments.dropFirst(2)))
} else if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "circuits" {
    try CircuitsBench.run(Array(CommandLine.arguments.dropFirst(2)))
} else if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "models" {
    try ModelsBench.run(Array(CommandLine.arguments.dropFirst(2)))
} else {
    try foundationBench()
}
