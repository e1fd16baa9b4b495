// Batching by length: similar lengths share a batch, so padding stays small.

/// Splits indices `0..<lengths.count` into batches of at most `size`, longest first (ties keep
/// input order). Callers put results back by index.
func lengthBatches(_ lengths: [Int], size: Int) -> [[Int]] {
    let order = lengths.indices.sorted { (lengths[$0], $1) > (lengths[$1], $0) }
    return stride(from: 0, to: order.count, by: size).map { Array(order[$0..<Swift.min($0 + size, order.count)]) }
}
