import Foundation

/// Adaptive Gauss–Kronrod quadrature (the 7-point Gauss and 15-point Kronrod rules of QUADPACK's
/// `qk15`) for smooth integrands on finite intervals.
enum GaussKronrod {
    /// The Kronrod nodes on [0, 1) (the negatives are nodes too) and their weights.
    private static let nodes: [Double] = [
        0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
        0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
        0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
        0.207784955007898467600689403773245, 0,
    ]
    private static let kronrodWeights: [Double] = [
        0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
        0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
        0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
        0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
    ]
    /// The Gauss weights of the nodes 1, 3, 5 and 7 (0).
    private static let gaussWeights: [Double] = [
        0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
        0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
    ]

    /// Returns ∫ₐᵇ f, bisecting each piece until its Gauss–Kronrod difference is below its share of
    /// `absoluteTolerance` (halved at each bisection) or below 50 ulps of its estimate, at most
    /// `maxDepth` times.
    /// - Complexity: 15 evaluations of f per piece; at most 15·2^maxDepth in all.
    static func integrate(_ f: (Double) -> Double, _ a: Double, _ b: Double,
                          absoluteTolerance: Double, maxDepth: Int = 14) -> Double {
        if !(b > a) { return 0 }
        let (kronrod, gauss) = rule(f, a, b)
        let error = abs(kronrod - gauss)
        if error <= max(absoluteTolerance, 50 * .ulpOfOne * abs(kronrod)) || maxDepth <= 0 || !kronrod.isFinite {
            return kronrod
        }
        let mid = 0.5 * (a + b)
        return integrate(f, a, mid, absoluteTolerance: 0.5 * absoluteTolerance, maxDepth: maxDepth - 1)
            + integrate(f, mid, b, absoluteTolerance: 0.5 * absoluteTolerance, maxDepth: maxDepth - 1)
    }

    /// The 15-point Kronrod estimate of ∫ₐᵇ f, without refinement.
    static func estimate(_ f: (Double) -> Double, _ a: Double, _ b: Double) -> Double {
        b > a ? rule(f, a, b).0 : 0
    }

    /// The 15-point Kronrod and 7-point Gauss estimates on [a, b].
    private static func rule(_ f: (Double) -> Double, _ a: Double, _ b: Double) -> (Double, Double) {
        let center = 0.5 * (a + b), half = 0.5 * (b - a)
        let fc = f(center)
        var kronrod = fc * kronrodWeights[7]
        var gauss = fc * gaussWeights[3]
        for i in 0..<7 {
            let dx = half * nodes[i]
            let sum = f(center - dx) + f(center + dx)
            kronrod += kronrodWeights[i] * sum
            if i % 2 == 1 { gauss += gaussWeights[i / 2] * sum }
        }
        return (kronrod * half, gauss * half)
    }
}
