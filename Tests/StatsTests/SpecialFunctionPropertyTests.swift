// Exact values, identities and domain handling of the special functions.

import Foundation
import Testing
import Stats

@Suite("Special function properties")
struct SpecialFunctionPropertyTests {
    typealias SF = SpecialFunctions

    @Test("exact values")
    func exactValues() {
        #expect(SF.logGamma(1) == 0 && SF.logGamma(2) == 0)
        #expect(SF.logGamma(5) == log(24.0))
        #expect(SF.logGamma(0) == .infinity && SF.logGamma(-3) == .infinity)
        #expect(SF.erf(0) == 0 && SF.erfc(0) == 1 && SF.erfcx(0) == 1)
        #expect(SF.erf(.infinity) == 1 && SF.erfc(.infinity) == 0 && SF.erfc(-.infinity) == 2)
        #expect(SF.normalQuantile(0.5) == 0)
        #expect(SF.regularizedGammaP(1, 0) == 0 && SF.regularizedGammaQ(1, 0) == 1)
        #expect(SF.regularizedBeta(0, a: 2, b: 3) == 0 && SF.regularizedBeta(1, a: 2, b: 3) == 1)
        #expect(SF.regularizedBetaComplement(1, a: 2, b: 3) == 0)
        #expect(abs(SF.logBeta(1, 1)) < 1e-15)
    }

    @Test("identities: P + Q = 1, I_x(a,b) = 1 − I_{1−x}(b,a), erf + erfc = 1, erfcx = e^(x²) erfc")
    func identities() {
        for (a, x) in [(0.5, 0.3), (3.0, 2.0), (40.0, 45.0), (1e-3, 2.0)] {
            #expect(abs(SF.regularizedGammaP(a, x) + SF.regularizedGammaQ(a, x) - 1) <= 4e-16)
        }
        for (a, b, x) in [(2.0, 3.0, 0.25), (0.5, 0.5, 0.75), (30.0, 40.0, 0.375), (1e-3, 5.0, 0.5)] {
            #expect(SF.regularizedBeta(x, a: a, b: b) == SF.regularizedBetaComplement(1 - x, a: b, b: a))
            #expect(abs(SF.regularizedBeta(x, a: a, b: b) + SF.regularizedBetaComplement(x, a: a, b: b) - 1) <= 4e-16)
        }
        for x in [-3.0, -0.4, 0.1, 0.9, 2.5] {
            #expect(abs(SF.erf(x) + SF.erfc(x) - 1) <= 4e-16)
            #expect(abs(SF.erfcx(x) / (exp(x * x) * SF.erfc(x)) - 1) <= 1e-14)
        }
        // erfcx keeps going where erfc underflows: erfcx(x) → 1/(x√π).
        #expect(abs(SF.erfcx(1e10) * 1e10 * Double.pi.squareRoot() - 1) < 1e-15)
        // log B(a, b) for large arguments: B(a, b) = Γ(a)Γ(b)/Γ(a+b) without cancellation.
        #expect(abs(SF.logBeta(1e6, 1e6) / -1386300.0033629211 - 1) < 1e-14)
    }

    @Test("NaN and out-of-domain arguments give NaN")
    func domains() {
        for v in [SF.logGamma(.nan), SF.logBeta(.nan, 1), SF.logBeta(-1, 2), SF.erf(.nan), SF.erfc(.nan),
                  SF.erfcx(.nan), SF.regularizedGammaP(.nan, 1), SF.regularizedGammaP(-1, 1),
                  SF.regularizedGammaQ(1, -1), SF.regularizedBeta(1.5, a: 1, b: 1),
                  SF.regularizedBeta(0.5, a: 0, b: 1), SF.regularizedBetaComplement(.nan, a: 1, b: 1),
                  SF.normalQuantile(-0.1), SF.normalQuantile(.nan)] {
            #expect(v.isNaN)
        }
    }
}
