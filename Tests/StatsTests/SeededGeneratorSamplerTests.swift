// The normal, gamma and beta samplers of SeededGenerator: moments and Kolmogorov–Smirnov tests
// against the Stats distribution functions, parameter errors and reproducibility.

import Foundation
import Stats
import Testing

/// A sampler case: a label, the reference distribution, its excess kurtosis, and a draw.
private struct SamplerCase: Sendable, CustomTestStringConvertible {
    let label: String
    let reference: any ContinuousDistribution
    let excessKurtosis: Double
    let draw: @Sendable (inout SeededGenerator) throws -> Double
    var testDescription: String { label }
}

private func betaKurtosis(_ a: Double, _ b: Double) -> Double {
    6 * ((a - b) * (a - b) * (a + b + 1) - a * b * (a + b + 2)) / (a * b * (a + b + 2) * (a + b + 3))
}

private let samplerCases: [SamplerCase] = {
    var out: [SamplerCase] = []
    out.append(SamplerCase(label: "Normal(0, 1)", reference: Normal.standard, excessKurtosis: 0) { $0.nextNormal() })
    out.append(SamplerCase(label: "Normal(3, 2)", reference: try! Normal(mean: 3, sd: 2), excessKurtosis: 0) {
        try $0.nextNormal(mean: 3, sd: 2)
    })
    for (shape, scale) in [(0.05, 1.0), (0.5, 1.0), (1.0, 1.0), (2.5, 2.0), (30.0, 0.5)] {
        out.append(SamplerCase(label: "Gamma(\(shape), \(scale))", reference: try! GammaDistribution(shape: shape, scale: scale),
                               excessKurtosis: 6 / shape) { try $0.nextGamma(shape: shape, scale: scale) })
    }
    for (a, b) in [(0.5, 0.5), (2.0, 5.0), (0.1, 0.2), (50.0, 20.0), (1.0, 1.0)] {
        out.append(SamplerCase(label: "Beta(\(a), \(b))", reference: try! BetaDistribution(a: a, b: b),
                               excessKurtosis: betaKurtosis(a, b)) { try $0.nextBeta(a: a, b: b) })
    }
    return out
}()

@Suite("SeededGenerator samplers")
struct SeededGeneratorSamplerTests {
    @Test("Samples pass a Kolmogorov–Smirnov test at level 0.001 and match the mean and variance",
          arguments: samplerCases)
    fileprivate func distribution(_ c: SamplerCase) throws {
        let n = 20_000
        var g = SeededGenerator(seed: 2024)
        var xs = try (0..<n).map { _ in try c.draw(&g) }
        #expect(xs.allSatisfy { $0.isFinite })
        xs.sort()
        var d = 0.0
        for (i, x) in xs.enumerated() {
            let f = c.reference.cdf(x)
            d = max(d, Double(i + 1) / Double(n) - f, f - Double(i) / Double(n))
        }
        // The asymptotic KS critical value at level 0.001 is 1.949/√n.
        #expect(d < 1.949 / Double(n).squareRoot(), "\(c.label): D = \(d)")

        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        let sd = c.reference.variance.squareRoot()
        #expect(abs(mean - c.reference.mean) < 5 * sd / Double(n).squareRoot(), "\(c.label): mean \(mean)")
        let relativeSE = ((c.excessKurtosis + 2) / Double(n)).squareRoot()
        #expect(abs(variance / c.reference.variance - 1) < 5 * relativeSE, "\(c.label): variance \(variance)")
    }

    @Test("Tiny shapes stay in range and the same seed gives the same draws")
    func tinyShapesAndReproducibility() throws {
        var g = SeededGenerator(seed: 5)
        for _ in 0..<1000 {
            let x = try g.nextGamma(shape: 1e-3)
            #expect(x >= 0 && x.isFinite)
            let y = try g.nextBeta(a: 1e-3, b: 1e-3)
            #expect(y >= 0 && y <= 1)
        }
        var a = SeededGenerator(seed: 77)
        var b = SeededGenerator(seed: 77)
        for _ in 0..<100 {
            #expect(a.nextNormal() == b.nextNormal())
            #expect(try a.nextGamma(shape: 0.7) == b.nextGamma(shape: 0.7))
            #expect(try a.nextBeta(a: 2, b: 3) == b.nextBeta(a: 2, b: 3))
        }
    }

    @Test("Sampler parameter errors name the sampler and the argument")
    func parameterErrors() {
        var g = SeededGenerator(seed: 1)
        #expect(throws: StatsError.invalidArgument("SeededGenerator.nextGamma: shape must be > 0, got 0")) { _ = try g.nextGamma(shape: 0) }
        #expect(throws: StatsError.invalidArgument("SeededGenerator.nextGamma: scale must be > 0, got -1")) { _ = try g.nextGamma(shape: 1, scale: -1) }
        #expect(throws: StatsError.invalidArgument("SeededGenerator.nextGamma: shape must be finite, got inf")) { _ = try g.nextGamma(shape: .infinity) }
        #expect(throws: StatsError.invalidArgument("SeededGenerator.nextBeta: a must be > 0, got nan")) { _ = try g.nextBeta(a: .nan, b: 1) }
        #expect(throws: StatsError.invalidArgument("SeededGenerator.nextBeta: b must be > 0, got -2")) { _ = try g.nextBeta(a: 1, b: -2) }
        #expect(throws: StatsError.invalidArgument("SeededGenerator.nextNormal: sd must be finite and >= 0, got -1")) { _ = try g.nextNormal(mean: 0, sd: -1) }
        #expect(throws: StatsError.invalidArgument("SeededGenerator.nextNormal: mean must be finite, got nan")) { _ = try g.nextNormal(mean: .nan, sd: 1) }
    }
}
