// Attribution rows stored densely over their causal cone. A target read at layer L, position p can
// only be reached from sources written below L at positions ≤ p (features of layers < L, the errors
// of layers < L, the tokens), so a row holds exactly those columns as a few contiguous segments
// of floats: 4 bytes per reachable source and no column indices, and nothing for the columns it
// cannot reach (half of them on average, most of them for early targets).

extension Attribution {
    /// One contiguous run of columns of a row: `count` columns from `column`, kept at `offset` in its values.
    struct Segment {
        let column: Int
        let count: Int
        let offset: Int
    }

    /// The column order `[active features (layer, position, feature) | errors (layer, position) | tokens]`
    /// and the cone segments of any target.
    struct ColumnLayout {
        let nLayers: Int
        let t: Int
        let nActive: Int
        /// First column of each feature layer; `featStart[nLayers] == nActive`.
        let featStart: [Int]
        /// `featUpTo[l * t + p]`: features of layer l at positions ≤ p.
        let featUpTo: [Int]

        /// - Parameters: `layers`/`positions` of the active features in column order.
        init(nLayers: Int, t: Int, layers: [Int], positions: [Int]) {
            self.nLayers = nLayers
            self.t = t
            nActive = layers.count
            var start = [Int](repeating: 0, count: nLayers + 1)
            var upTo = [Int](repeating: 0, count: nLayers * t)
            for (l, p) in zip(layers, positions) {
                start[l + 1] += 1
                upTo[l * t + p] += 1
            }
            for l in 0..<nLayers {
                start[l + 1] += start[l]
                for p in 1..<Swift.max(t, 1) { upTo[l * t + p] += upTo[l * t + p - 1] }
            }
            featStart = start
            featUpTo = upTo
        }

        var columns: Int { nActive + (nLayers + 1) * t }
        /// Segment ids: feature layer l is `l`, error layer l is `nLayers + l`, the tokens `2 · nLayers`.
        var segmentIds: Int { 2 * nLayers + 1 }
        var tokenSegment: Int { 2 * nLayers }

        /// The segments of a target that reads below `layers` at `position`, in a fixed order (feature
        /// layers, error layers, tokens); `offsets[id]` is each one's offset (-1: not in the row).
        func segments(layers: Int, position p: Int) -> (segments: [Segment], offsets: [Int], count: Int) {
            var segs: [Segment] = []
            segs.reserveCapacity(2 * layers + 1)
            var offsets = [Int](repeating: -1, count: segmentIds)
            var off = 0
            func add(_ id: Int, _ column: Int, _ count: Int) {
                offsets[id] = off
                segs.append(Segment(column: column, count: count, offset: off))
                off += count
            }
            for l in 0..<layers { add(l, featStart[l], featUpTo[l * t + p]) }
            for l in 0..<layers { add(nLayers + l, nActive + l * t, p + 1) }
            add(tokenSegment, nActive + nLayers * t, p + 1)
            return (segs, offsets, off)
        }

        /// The segment id and index within it of a column.
        func locate(column c: Int) -> (segment: Int, local: Int) {
            if c >= nActive {
                let k = c - nActive
                return (nLayers + k / t, k % t)  // the tokens come out as id 2·nLayers
            }
            var l = 0
            while featStart[l + 1] <= c { l += 1 }
            return (l, c - featStart[l])
        }
    }

    /// One computed row: its target (logit k as `-1 - k`, or active feature i), the target's cone
    /// (sources below `layers`, positions ≤ `position`) and its values over the cone's segments.
    struct Row {
        let target: Int
        let layers: Int
        let position: Int
        let vals: [Float]

        /// Calls `body(column, value)` for every entry of the row (zeros included).
        @inline(__always)
        func forEach(_ layout: ColumnLayout, _ body: (Int, Float) -> Void) {
            vals.withUnsafeBufferPointer { v in
                for s in layout.segments(layers: layers, position: position).segments {
                    for k in 0..<s.count { body(s.column + k, v[s.offset + k]) }
                }
            }
        }
    }
}
