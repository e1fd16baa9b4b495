// Invalid parameters throw StatsError with a message that names the type and the parameter.

import Testing
import Stats

@Suite("Parameter validation")
struct StatsErrorTests {
    /// Runs `make` and returns the message of the StatsError it throws (nil if it does not throw).
    private func message(_ make: () throws -> Any) -> String? {
        do {
            _ = try make()
            return nil
        } catch let error as StatsError {
            return error.description
        } catch {
            return "unexpected error \(error)"
        }
    }

    @Test("messages name the type, the parameter and the value")
    func messages() {
        #expect(message { try StudentT(df: -1) } == "StudentT: df must be > 0, got -1")
        #expect(message { try StudentT(df: .nan) } == "StudentT: df must be > 0, got nan")
        #expect(message { try Normal(mean: 0, sd: 0) } == "Normal: sd must be > 0, got 0")
        #expect(message { try Normal(mean: .infinity, sd: 1) } == "Normal: mean must be finite, got inf")
        #expect(message { try ChiSquared(df: 0) } == "ChiSquared: df must be > 0, got 0")
        #expect(message { try FDistribution(df1: 1, df2: -2.5) } == "FDistribution: df2 must be > 0, got -2.5")
        #expect(message { try BetaDistribution(a: .infinity, b: 1) } == "BetaDistribution: a must be finite, got inf")
        #expect(message { try GammaDistribution(shape: 1, scale: -1) } == "GammaDistribution: scale must be > 0, got -1")
        #expect(message { try Binomial(n: -3, p: 0.5) } == "Binomial: n must be >= 0, got -3")
        #expect(message { try Binomial(n: 3, p: 1.5) } == "Binomial: p must be in [0, 1], got 1.5")
        #expect(message { try Hypergeometric(population: 10, successes: 11, draws: 2) }
                == "Hypergeometric: successes must be <= population (10), got 11")
        #expect(message { try Hypergeometric(population: 10, successes: 3, draws: 12) }
                == "Hypergeometric: draws must be <= population (10), got 12")
    }

    @Test("valid parameters are accepted, including ν = ∞ for t")
    func accepted() throws {
        #expect(try StudentT(df: .infinity).cdf(1.96) == Normal.standard.cdf(1.96))
        #expect(try StudentT(df: 0.01).df == 0.01)
        #expect(message { try Hypergeometric(population: 0, successes: 0, draws: 0) } == nil)
    }

    @Test("StatsError cases carry their message")
    func errorValue() {
        let e = StatsError.invalidArgument("x: bad")
        #expect(e.description == "x: bad" && e.message == "x: bad")
        #expect(StatsError.insufficientData("n < 2").description == "n < 2")
        #expect(StatsError.notConverged("no").message == "no")
        #expect(e == .invalidArgument("x: bad"))
    }
}
