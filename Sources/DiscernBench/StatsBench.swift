// `discern-bench stats`: online FDR streams and Fisher exact tests (Scripts/bench/stats.sh).
// Writes the inputs it used to files so that the reference (PyPI online-fdr, scipy) runs on the
// very same numbers, and prints one JSON line per measurement.
import Foundation
import Stats

enum StatsBench {
    struct Options {
        var n = 1_000_000
        var prefix = 20_000
        var pi1 = 0.01
        var mu = 3.0
        var fisher = 100_000
        var dir = "/tmp/discern-bench-stats"
        var seed: UInt64 = 1
    }

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw StatsError.invalidArgument("discern-bench stats: \(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--n": o.n = Int(try value()) ?? o.n
            case "--prefix": o.prefix = Int(try value()) ?? o.prefix
            case "--pi1": o.pi1 = Double(try value()) ?? o.pi1
            case "--mu": o.mu = Double(try value()) ?? o.mu
            case "--fisher": o.fisher = Int(try value()) ?? o.fisher
            case "--dir": o.dir = try value()
            case "--seed": o.seed = UInt64(try value()) ?? o.seed
            default:
                throw StatsError.invalidArgument("""
                    discern-bench stats: unknown argument \(args[i]) \
                    (expected --n, --prefix, --pi1, --mu, --fisher, --dir, --seed)
                    """)
            }
            i += 1
        }
        o.prefix = min(o.prefix, o.n)
        return o
    }

    /// A seeded stream: nulls uniform, a fraction pi1 of alternatives with p = Φ̄(Z), Z ~ N(mu, 1).
    static func stream(_ o: Options) -> [Double] {
        var g = SeededGenerator(seed: o.seed)
        var p = [Double](repeating: 0, count: o.n)
        for i in 0..<o.n {
            if g.nextDouble() < o.pi1 {
                // Box–Muller with one normal per pair (simple; speed is irrelevant here).
                let z = (-2 * log(g.nextOpenDouble())).squareRoot() * cos(2 * Double.pi * g.nextDouble())
                p[i] = Normal.standard.sf(o.mu + z)
            } else {
                p[i] = g.nextDouble()
            }
        }
        return p
    }

    static func write(_ values: [Double], to path: String) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func json(_ fields: [(String, Any)]) -> String {
        "{" + fields.map { k, v in
            let rendered: String
            switch v {
            case let s as String: rendered = "\"\(s)\""
            case let d as Double: rendered = d.isFinite ? "\(d)" : "null"
            default: rendered = "\(v)"
            }
            return "\"\(k)\":\(rendered)"
        }.joined(separator: ",") + "}"
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let t0 = now()
        try body()
        return now() - t0
    }

    static func run(_ args: [String]) throws {
        let o = try parse(args)
        try FileManager.default.createDirectory(atPath: o.dir, withIntermediateDirectories: true)
        let p = stream(o)
        try write(p, to: o.dir + "/stream.f64")
        let procedures: [(String, () throws -> any OnlineFDRProcedure)] = [
            ("saffron", { try Saffron(alpha: 0.05, w0: 0.025, lambda: 0.5) }),
            ("lord_plus_plus", { try LordPlusPlus(alpha: 0.05, w0: 0.025) }),
            ("addis", { try Addis(alpha: 0.05, w0: 0.025, lambda: 0.25, tau: 0.5) }),
        ]
        for (name, make) in procedures {
            for (label, count) in [("prefix", o.prefix), ("full", o.n)] {
                let proc = try make()
                var rejections = 0
                var alphaSum = 0.0
                let seconds = try time {
                    for i in 0..<count {
                        let r = try proc.testOne(p[i])
                        if r.rejected { rejections += 1 }
                        alphaSum += r.alpha
                    }
                }
                print(json([("kind", "online_fdr"), ("procedure", name), ("part", label), ("n", count),
                            ("seconds", seconds), ("rejections", rejections), ("alpha_sum", alphaSum)]))
            }
        }
        if o.fisher > 0 { try fisherBench(o) }
    }

    /// Random 2×2 tables: row totals uniform in [5, 500], counts uniform within each row.
    static func tables(_ o: Options) -> [[[Int]]] {
        var g = SeededGenerator(seed: o.seed &+ 1)
        return (0..<o.fisher).map { _ in
            let n1 = 5 + g.nextInt(below: 496), n2 = 5 + g.nextInt(below: 496)
            let a = g.nextInt(below: n1 + 1), c = g.nextInt(below: n2 + 1)
            return [[a, n1 - a], [c, n2 - c]]
        }
    }

    static func fisherBench(_ o: Options) throws {
        let ts = tables(o)
        let flat = ts.flatMap { [Int64($0[0][0]), Int64($0[0][1]), Int64($0[1][0]), Int64($0[1][1])] }
        try flat.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: o.dir + "/fisher.i64"))
        var p = [Double](repeating: 0, count: ts.count)
        let seconds = try time {
            for (i, t) in ts.enumerated() { p[i] = try fisherExact(t).pvalue }
        }
        try write(p, to: o.dir + "/fisher_discern.f64")
        print(json([("kind", "fisher"), ("n", ts.count), ("seconds", seconds)]))
    }
}
