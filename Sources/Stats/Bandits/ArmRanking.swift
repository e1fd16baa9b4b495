/// Ranking helpers shared by the policies: arg-max and top-k by a score, ties in arm order.
enum ArmRanking {
    /// The position with the largest score; ties go to the lowest position. `scores` is non-empty.
    static func argmax(_ scores: [Double]) -> Int {
        var best = 0
        for i in 1..<scores.count where scores[i] > scores[best] { best = i }
        return best
    }

    /// The positions of the `k` largest scores, largest first; ties go to the lowest position.
    /// - Complexity: O(K log K) for K scores.
    static func top(_ k: Int, _ scores: [Double]) -> [Int] {
        let order = scores.indices.sorted { a, b in
            scores[a] != scores[b] ? scores[a] > scores[b] : a < b
        }
        return Array(order.prefix(k))
    }

    /// The positions of unplayed arms first (in arm order), then the rest by score (largest
    /// first, ties in arm order); the first `k` of them.
    static func unplayedFirstThenTop(_ k: Int, _ scores: [Double], pulls: [Int]) -> [Int] {
        let unplayed = pulls.indices.filter { pulls[$0] == 0 }
        if unplayed.count >= k { return Array(unplayed.prefix(k)) }
        let played = pulls.indices.filter { pulls[$0] > 0 }.sorted { a, b in
            scores[a] != scores[b] ? scores[a] > scores[b] : a < b
        }
        return unplayed + played.prefix(k - unplayed.count)
    }
}
