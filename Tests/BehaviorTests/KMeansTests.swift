import Foundation
import Stats
import Testing
import TestSupport
@testable import Behavior

/// Well-separated Gaussian blobs: k centres on a scaled simplex-like grid, `per` rows each (seeded).
func blobs(k: Int, per: Int, d: Int, spread: Double = 0.3, seed: UInt64 = 7) -> (FloatMatrix, [Int]) {
    var g = SeededGenerator(seed: seed)
    func normal() -> Double { (-2 * log(g.nextOpenDouble())).squareRoot() * cos(2 * Double.pi * g.nextDouble()) }
    var centres: [[Double]] = []
    for c in 0..<k { centres.append((0..<d).map { j in j == c % d ? 20.0 * Double(c / d + 1) : 0 }) }
    var values: [Float] = [], truth: [Int] = []
    for c in 0..<k {
        for _ in 0..<per {
            values.append(contentsOf: centres[c].map { Float($0 + spread * normal()) })
            truth.append(c)
        }
    }
    return (try! FloatMatrix(values, rows: k * per, cols: d), truth)
}

/// Whether two labelings are the same partition (up to renaming the clusters).
func samePartition(_ a: [Int], _ b: [Int]) -> Bool {
    var map: [Int: Int] = [:], back: [Int: Int] = [:]
    for (x, y) in zip(a, b) {
        if let m = map[x], m != y { return false }
        if let m = back[y], m != x { return false }
        map[x] = y
        back[y] = x
    }
    return a.count == b.count
}

struct KMeansFixture: Decodable {
    struct Run: Decodable {
        let max_iter: Int, tol: Double, labels: [Int], inertia: Double, centroids: [Double], iterations: Int
    }
    struct Case: Decodable {
        let name: String, n: Int, d: Int, k: Int, x: [Double], `init`: [Double], runs: [Run]
    }
    let cases: [Case]
}

@Suite struct KMeansTests {
    @Test func recoversSeparatedBlobs() throws {
        let (x, truth) = blobs(k: 5, per: 40, d: 6)
        for method in KMeansMethod.allCases {
            var o = KMeansOptions(k: 5)
            o.method = method
            o.nInit = 3
            o.seed = 3
            let r = try KMeans.fit(x, o)
            #expect(samePartition(r.labels, truth), "method \(method)")
            #expect(r.k == 5 && r.centroids.count == 5 * 6)
        }
    }

    @Test func cosineMetricClustersDirections() throws {
        // Two directions, rows at very different norms: cosine separates them, the norm does not matter.
        var values: [Float] = [], truth: [Int] = []
        var g = SeededGenerator(seed: 1)
        for i in 0..<60 {
            let scale = Float(1 + 50 * g.nextDouble())
            let noise = Float(g.nextDouble() * 0.05)
            values += i % 2 == 0 ? [scale, scale * noise, 0] : [0, scale * noise, scale]
            truth.append(i % 2)
        }
        var o = KMeansOptions(k: 2)
        o.metric = .cosine
        let r = try KMeans.fit(try FloatMatrix(values, rows: 60, cols: 3), o)
        #expect(samePartition(r.labels, truth))
        for c in 0..<2 {
            let norm = (0..<3).map { r.centroids[c * 3 + $0] * r.centroids[c * 3 + $0] }.reduce(0, +).squareRoot()
            #expect(abs(norm - 1) < 0.05)
        }
    }

    @Test func matchesScikitLearnLloydFromTheSameStart() throws {
        let url = Support.repoRoot.appendingPathComponent("Tests/Fixtures/behavior/kmeans.json")
        let fx = try JSONDecoder().decode(KMeansFixture.self, from: Data(contentsOf: url))
        #expect(fx.cases.count == 3)
        for c in fx.cases {
            let x = try FloatMatrix(c.x.map { Float($0) }, rows: c.n, cols: c.d)
            for run in c.runs {
                var o = KMeansOptions(k: c.k)
                o.initialCentroids = c.`init`.map { Float($0) }
                o.maxIter = run.max_iter
                o.tol = run.tol
                let r = try KMeans.fit(x, o)
                #expect(r.labels == run.labels, "\(c.name) max_iter \(run.max_iter) tol \(run.tol)")
                #expect(abs(r.inertia - run.inertia) <= 1e-4 * run.inertia, "\(c.name): \(r.inertia) vs \(run.inertia)")
                #expect(r.iterations == run.iterations, "\(c.name): \(r.iterations) vs \(run.iterations) iterations")
                for (a, b) in zip(r.centroids, run.centroids) { #expect(abs(Double(a) - b) <= 1e-4 * max(1, abs(b))) }
            }
        }
    }

    @Test func emptyClusterIsReseededAtTheFarthestRow() throws {
        // Three initial centres, one far from every row: after the first assignment it is empty and must
        // take the row farthest from its centre (the outlier at 100).
        let x = try FloatMatrix([0, 0.1, 0.2, 10, 10.1, 100], rows: 6, cols: 1)
        var o = KMeansOptions(k: 3)
        o.initialCentroids = [0, 10, -1000]
        let r = try KMeans.fit(x, o)
        #expect(r.labels == [0, 0, 0, 1, 1, 2] || samePartition(r.labels, [0, 0, 0, 1, 1, 2]))
        #expect(Set(r.labels).count == 3)
        #expect(r.inertia < 0.1)
    }

    @Test func plusPlusIsSeededAndSpreadsCentres() throws {
        let (x, _) = blobs(k: 4, per: 25, d: 4, seed: 2)
        let ws = KMeans.Workspace(x)
        var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9)
        let a = KMeans.plusPlus(ws, k: 4, rng: &g1), b = KMeans.plusPlus(ws, k: 4, rng: &g2)
        #expect(a == b)
        // Greedy k-means++ on well-separated blobs picks one row of each blob.
        let labels = (0..<4).map { c in (0..<4).max { a[c * 4 + $0] < a[c * 4 + $1] }! }
        #expect(Set(labels).count == 4)
    }

    @Test func badInputsAreNamed() throws {
        let (x, _) = blobs(k: 2, per: 5, d: 3)
        #expect(throws: BehaviorError.self) { try KMeans.fit(x, KMeansOptions(k: 11)) }
        do {
            _ = try KMeans.fit(x, KMeansOptions(k: 11))
        } catch let e as BehaviorError { #expect(e.message == "k (11) must be at most the number of rows (10)") }
        do {
            var o = KMeansOptions(k: 2)
            o.initialCentroids = [1, 2, 3]
            _ = try KMeans.fit(x, o)
            Issue.record("no error")
        } catch let e as BehaviorError { #expect(e.message == "init must be k × d = 2 × 3 centres, got 3 values") }
        do {
            _ = try FloatMatrix([1, .nan, 3, 4], rows: 2, cols: 2)
            Issue.record("no error")
        } catch let e as BehaviorError { #expect(e.message == "x[1][2] is nan, every value must be finite") }
    }

    @Test func silhouetteMatchesADirectComputation() throws {
        // 1-D: {0, 1} and {5}: s(0) = (5 − 1)/5, s(1) = (4 − 1)/4, s(5) = 0 (singleton).
        let x = try FloatMatrix([0, 1, 5], rows: 3, cols: 1)
        let s = try Silhouette.score(x, labels: [7, 7, 2])
        #expect(abs(s - (0.8 + 0.75 + 0) / 3) < 1e-6)
        #expect(throws: BehaviorError.self) { try Silhouette.score(x, labels: [1, 1, 1]) }
        #expect(throws: BehaviorError.self) { try Silhouette.score(x, labels: [1, 2]) }
    }

    @Test func autoKFindsTheBlobCount() throws {
        let (x, truth) = blobs(k: 4, per: 30, d: 8)
        var o = KMeansOptions(k: 1)
        o.nInit = 3
        let (r, choices) = try KMeans.fitAuto(x, o)
        #expect(choices.map(\.k) == [2, 4, 8, 16])
        #expect(r.k == 4)
        #expect(samePartition(r.labels, truth))
        #expect(throws: BehaviorError.self) { try KMeans.fitAuto(try FloatMatrix([1, 2, 3], rows: 3, cols: 1), o) }
    }
}
