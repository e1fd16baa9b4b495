import Stats
import Testing

@Suite("SeededGenerator")
struct SeededGeneratorTests {
    @Test("matches xoshiro256** seeded by SplitMix64 (values from an independent Python port)")
    func referenceStream() {
        var g = SeededGenerator(seed: 42)
        #expect(g.next() == 0x1578_0b2e_0c2e_c716)
        #expect(g.next() == 0x6104_d986_6d11_3a7e)
        #expect(g.next() == 0xae17_5332_39e4_99a1)
    }

    @Test("nextInt is uniform over its range and stays below the bound")
    func boundedIntegers() {
        var g = SeededGenerator(seed: 7)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[g.nextInt(below: 6)] += 1 }
        // Each count is Binomial(60000, 1/6): sd ≈ 91, so ±500 is over 5 sd.
        for c in counts { #expect(abs(c - 10_000) < 500) }
    }

    @Test("doubles lie in their intervals; a shuffle is a permutation and seeds reproduce")
    func doublesAndShuffle() {
        var g = SeededGenerator(seed: 1)
        for _ in 0..<10_000 {
            let u = g.nextDouble()
            #expect(u >= 0 && u < 1)
            let v = g.nextOpenDouble()
            #expect(v > 0 && v < 1)
        }
        var a = Array(0..<50)
        var h1 = SeededGenerator(seed: 9)
        h1.shuffle(&a)
        #expect(a.sorted() == Array(0..<50))
        #expect(a != Array(0..<50))
        var b = Array(0..<50)
        var h2 = SeededGenerator(seed: 9)
        h2.shuffle(&b)
        #expect(a == b)
    }
}
