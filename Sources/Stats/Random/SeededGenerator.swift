/// A seeded, reproducible pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same stream on every platform and Swift version: the integer and
/// floating-point draws below are defined here rather than through the standard library's
/// `random(in:using:)`, whose algorithm is not part of its contract. Used by the resampling tests,
/// the bootstrap and the bandits. A value type: copying it forks the stream.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose whole stream is determined by `seed`.
    /// - Parameter seed: any 64-bit value (0 is fine: SplitMix64 spreads it).
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// Returns the next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Returns a uniform double in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Returns a uniform double in (0, 1): never 0, so its logarithm is finite.
    public mutating func nextOpenDouble() -> Double {
        (Double(next() >> 12) + 0.5) * 0x1.0p-52
    }

    /// Returns a uniform integer in 0..<bound by Lemire's unbiased multiply-and-reject method.
    /// - Precondition: bound > 0.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "SeededGenerator.nextInt: bound must be > 0")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Shuffles `values` in place (Fisher–Yates, drawing with `nextInt(below:)`).
    public mutating func shuffle<T>(_ values: inout [T]) {
        var i = values.count
        while i > 1 {
            let j = nextInt(below: i)
            i -= 1
            values.swapAt(i, j)
        }
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
