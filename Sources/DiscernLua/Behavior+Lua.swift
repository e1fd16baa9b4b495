import Behavior
import CLua
import LuaKit
import Stats
import Tensor

extension BehaviorError: LuaCodedError {
    public var luaCode: String { "arg" }
    public var luaMessage: String { LuaMessage.droppingSwiftName(message) }
}

/// Lua bindings of the behavioural core: `discern.cluster` (k-means, matching, silhouette),
/// `discern.text.log_odds` and `discern.stats.classifier_test`.
enum BehaviorLua {
    // MARK: argument helpers

    /// The Lua type name of the value on top of the stack.
    static func typeName(_ L: OpaquePointer) -> String { String(cString: lua_typename(L, lua_type(L, -1))) }

    /// A matrix argument: a 2-D tensor (any float or integer dtype, converted to float32) or a list of number lists.
    static func floatMatrix(_ call: LuaCall, _ i: Int32, _ name: String) throws -> FloatMatrix {
        let arg = i - call.selfOffset
        if let t = TensorLua.cls.test(call.L, i) {
            let shape = t.shape
            guard shape.count == 2 else {
                throw LuaError(code: "arg", "\(call.name): bad argument #\(arg) (\(name) must be a 2-D tensor, got shape \(shape))")
            }
            let values = try t.to(dtype: .float32, device: .cpu).contiguous().floats()
            return try FloatMatrix(values, rows: shape[0], cols: shape[1], name: name)
        }
        if TensorLua.cls.isReleased(call.L, i) {
            throw LuaError(code: "released", "\(call.name): bad argument #\(arg) (the discern.Tensor was released)")
        }
        guard call.type(i) == LUA_TTABLE else { throw call.argError(i, "2-D discern.Tensor or list of number lists") }
        let rows = try StatsTestsLua.matrix(call, i)
        guard let first = rows.first else { throw LuaError(code: "arg", "\(call.name): bad argument #\(arg) (\(name) is empty)") }
        for (r, row) in rows.enumerated() where row.count != first.count {
            throw LuaError(code: "arg", """
                \(call.name): bad argument #\(arg) (\(name) row \(r + 1) has \(row.count) numbers, expected \(first.count) like row 1)
                """)
        }
        return try FloatMatrix(rows.flatMap { $0.map { Float($0) } }, rows: rows.count, cols: first.count, name: name)
    }

    /// A cost matrix argument: a 2-D tensor or a list of number lists, as Double rows.
    static func doubleRows(_ call: LuaCall, _ i: Int32, _ name: String) throws -> [[Double]] {
        let arg = i - call.selfOffset
        if let t = TensorLua.cls.test(call.L, i) {
            let shape = t.shape
            guard shape.count == 2 else {
                throw LuaError(code: "arg", "\(call.name): bad argument #\(arg) (\(name) must be a 2-D tensor, got shape \(shape))")
            }
            let v = try t.to(dtype: .float64, device: .cpu).contiguous().doubles()
            return (0..<shape[0]).map { r in Array(v[(r * shape[1])..<((r + 1) * shape[1])]) }
        }
        guard call.type(i) == LUA_TTABLE else { throw call.argError(i, "2-D discern.Tensor or list of number lists") }
        let rows = try StatsTestsLua.matrix(call, i)
        guard !rows.isEmpty else { throw LuaError(code: "arg", "\(call.name): bad argument #\(arg) (\(name) is empty)") }
        return rows
    }

    // MARK: options and results, declared once

    /// The options of `discern.cluster.kmeans`.
    struct KMeansArgs {
        var o = KMeansOptions(k: 1)
        var auto = false
        var initShape: [Int]?
    }
    typealias K = LuaField<KMeansArgs>
    nonisolated(unsafe) static let kmeansSpec = LuaOptionSpec<KMeansArgs>("discern.cluster.KMeansOptions", prototype: KMeansArgs(), [
        K.custom("k", type: "integer|\"auto\"", """
            the number of clusters, or "auto": the best silhouette (on ≤ 2000 seeded rows) over k = 2, 4, 8, … ≤ n/5 (≤ 256)
            """, required: true) { r, o in
            let t = try o.push("k")
            defer { dlua_pop(o.tableL, 1) }
            if t == LUA_TSTRING, LuaRead.string(o.tableL, -1) == "auto" {
                r.auto = true
                return
            }
            guard let k = LuaCall.exactInteger(o.tableL, -1), k >= 1 else {
                throw LuaError(code: "arg", "option 'k' must be a positive integer or \"auto\", got \(typeName(o.tableL))")
            }
            r.o.k = k
        },
        K.choice("method", \.o.method, "\"lloyd\" (batch, scikit-learn's) or \"minibatch\" (Sculley 2010)"),
        K.choice("metric", \.o.metric, "\"euclidean\", or \"cosine\" (rows L2-normalised first)"),
        K.custom("init", type: "\"k-means++\"|discern.Tensor", "greedy k-means++ (2 + ⌊ln k⌋ candidates per centre) or a k × d tensor of centres",
                 default: "\"k-means++\"") { r, o in
            let t = try o.push("init")
            defer { dlua_pop(o.tableL, 1) }
            if t == LUA_TNIL || (t == LUA_TSTRING && LuaRead.string(o.tableL, -1) == "k-means++") { return }
            guard let c = TensorLua.cls.test(o.tableL, -1) else {
                throw LuaError(code: "arg", """
                    option 'init' must be "k-means++" or a k × d discern.Tensor, got \(typeName(o.tableL))
                    """)
            }
            r.initShape = c.shape
            r.o.initialCentroids = try c.to(dtype: .float32, device: .cpu).contiguous().floats()
        },
        K.integer("max_iter", \.o.maxIter, "the most Lloyd iterations (passes over the data for minibatch)", in: 1...Int.max),
        K.number("tol", \.o.tol, "stop when the summed squared centre shift ≤ tol × mean feature variance", in: 0...Double.greatestFiniteMagnitude),
        K.integer("n_init", \.o.nInit, "k-means++ restarts; the lowest inertia wins", in: 1...Int.max),
        K.integer("batch_size", \.o.batchSize, "rows per mini-batch", in: 1...Int.max),
        K.seed("seed", \.o.seed, "seeds k-means++ and the mini-batches"),
    ])

    struct KMeansOut {
        let r: KMeansResult
        let choices: [KChoice]?
    }
    nonisolated(unsafe) static let kChoice = LuaRecordSpec<KChoice>("discern.cluster.KChoice", [
        .integer("k", \.k), .number("silhouette", \.silhouette, "mean silhouette on the subsample"),
    ])
    nonisolated(unsafe) static let kmeansResult = LuaRecordSpec<KMeansOut>("discern.cluster.KMeansResult", [
        .custom("labels", type: "integer[]", "the cluster of each row, 1-based") { o, L in LuaPush.integers(L, o.r.labels.map { $0 + 1 }) },
        .custom("centroids", type: "discern.Tensor", "k × d float32 centres (of the normalised rows for cosine)") { o, L in
            TensorLua.cls.push(L, try Tensor(o.r.centroids, shape: [o.r.k, o.r.d]))
        },
        .number("inertia", \.r.inertia, "Σ squared distance of each row to its centre"),
        .integer("iterations", \.r.iterations, "Lloyd iterations or mini-batch steps"),
        .boolean("converged", \.r.converged, "stopped by the tolerance or unchanged labels, not the iteration cap"),
        .integer("k", \.r.k, "the number of clusters (the chosen one for \"auto\")"),
        .custom("auto", type: "discern.cluster.KChoice[]", "for k = \"auto\": the silhouette of every k tried", optional: true) { o, L in
            if let c = o.choices { try kChoice.pushList(c, L) } else { lua_pushnil(L) }
        },
    ])

    struct HungarianArgs { var maximize = false }
    nonisolated(unsafe) static let hungarianSpec = LuaOptionSpec<HungarianArgs>("discern.cluster.HungarianOptions", prototype: HungarianArgs(), [
        .boolean("maximize", \.maximize, "find the largest total instead of the smallest"),
    ])
    nonisolated(unsafe) static let assignmentResult = LuaRecordSpec<Assignment>("discern.cluster.Assignment", [
        .custom("pairs", type: "integer[][]", "{row, col} pairs, 1-based, sorted by row") { a, L in
            lua_createtable(L, Int32(a.pairs.count), 0)
            for (i, p) in a.pairs.enumerated() {
                LuaPush.integers(L, [p.row + 1, p.col + 1])
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
        },
        .number("total", \.total, "the summed cost of the pairs"),
    ])

    struct SilhouetteArgs {
        var metric: KMeansMetric = .euclidean
        var sampleSize: Int?
        var seed: UInt64 = 0
    }
    nonisolated(unsafe) static let silhouetteSpec = LuaOptionSpec<SilhouetteArgs>("discern.cluster.SilhouetteOptions",
                                                                                  prototype: SilhouetteArgs(), [
        .choice("metric", \.metric, "\"euclidean\", or \"cosine\" (distance 1 − cos)"),
        .integer("sample_size", \.sampleSize, "score a seeded subsample of this many rows", in: 2...Int.max, default: "all rows"),
        .seed("seed", \.seed, "seeds the subsample"),
    ])

    struct LogOddsArgs { var o = LogOddsOptions() }
    typealias T = LuaField<LogOddsArgs>
    nonisolated(unsafe) static let logOddsSpec = LuaOptionSpec<LogOddsArgs>("discern.text.LogOddsOptions", prototype: LogOddsArgs(), [
        T.strings("prior_texts", \.o.priorTexts, "background texts for the Dirichlet prior", default: "texts_a ∪ texts_b"),
        T.integer("ngram_max", \.o.ngramMax, "the longest n-gram, in words", in: 1...8),
        T.integer("min_count", \.o.minCount, "the fewest occurrences in A and B together", in: 1...Int.max),
        T.integer("top", \.o.top, "n-grams listed per side", in: 0...Int.max),
        T.number("prior_mass", \.o.priorMass, "α₀, the prior's total pseudo-count", in: 1e-300...Double.greatestFiniteMagnitude,
                 default: "the background's n-gram total"),
    ])
    nonisolated(unsafe) static let ngramScore = LuaRecordSpec<NGramScore>("discern.text.NGramScore", [
        .string("ngram", \.ngram, "lowercased words joined by spaces"), .number("z", \.z, "δ/σ: > 0 leans to A"),
        .number("delta", \.delta, "log-odds ratio with the prior"), .integer("count_a", \.countA), .integer("count_b", \.countB),
        .integer("docs_a", \.docsA, "texts of A containing it"), .integer("docs_b", \.docsB, "texts of B containing it"),
    ])
    nonisolated(unsafe) static let logOddsResult = LuaRecordSpec<(a: [NGramScore], b: [NGramScore])>("discern.text.LogOddsResult", [
        .records("a", \.a, ngramScore, "A's n-grams, largest z first"), .records("b", \.b, ngramScore, "B's n-grams, most negative z first"),
    ])

    struct C2STArgs { var o = ClassifierTestOptions() }
    typealias S = LuaField<C2STArgs>
    nonisolated(unsafe) static let classifierSpec = LuaOptionSpec<C2STArgs>("discern.stats.ClassifierTestOptions", prototype: C2STArgs(), [
        S.integer("folds", \.o.folds, "stratified cross-validation folds", in: 2...Int.max),
        S.integer("permutations", \.o.permutations, "label permutations for the p-value", in: 1...Int.max),
        S.number("l2", \.o.l2, "L2 penalty λ of the logistic regression (scikit-learn's C = 1/λ)", in: 1e-300...Double.greatestFiniteMagnitude),
        S.seed("seed", \.o.seed, "seeds the folds and permutations"),
    ])
    nonisolated(unsafe) static let classifierResult = LuaRecordSpec<ClassifierTestResult>("discern.stats.ClassifierTestResult", [
        .number("accuracy", \.accuracy, "pooled held-out accuracy"), .number("auc", \.auc, "held-out AUC (xb as positives)"),
        .number("pvalue", \.pvalue, "(1 + #{permuted accuracy ≥ observed}) / (permutations + 1)"),
        .integer("permutations", \.permutations), .integer("n_a", \.nA), .integer("n_b", \.nB),
    ])

    // MARK: modules

    /// Builds the `discern.cluster` table on top of the stack.
    static func openCluster(_ state: LuaState) {
        TensorLua.register(state)
        let m = LuaModuleBuilder(state, "discern.cluster", doc: """
            discern.cluster: k-means (Lloyd or mini-batch, k-means++ seeding, k = "auto" by silhouette), linear assignment
            (hungarian) and the silhouette score. Labels and pairs are 1-based.
            """, capacity: 3)
        m.function("kmeans", "(x: discern.Tensor|number[][], opts: discern.cluster.KMeansOptions) -> discern.cluster.KMeansResult", """
            Clusters the rows of x (a 2-D tensor or a list of rows). Lloyd follows scikit-learn's KMeans(algorithm="lloyd"):
            stop when the labels repeat or the summed squared centre shift ≤ tol × mean feature variance; an empty cluster is
            re-seeded at the row farthest from its centre. Mini-batch: Sculley's per-centre rates 1/count, max_iter passes,
            also stops after 10 steps without improvement of the smoothed batch inertia. Distances go through BLAS sgemm.
            """, options: kmeansSpec) { call in
            let x = try floatMatrix(call, 1, "x")
            guard call.type(2) == LUA_TTABLE else { throw call.argError(2, "options table with k") }
            let a = try kmeansSpec.read(call, at: 2)
            if let s = a.initShape, s != [a.o.k, x.cols] {
                throw LuaError(code: "arg", "\(call.name): option 'init' must be k × d = \(a.o.k) × \(x.cols) centres, got shape \(s)")
            }
            if a.auto {
                let (r, choices) = try KMeans.fitAuto(x, a.o)
                return try call.push(KMeansOut(r: r, choices: choices), kmeansResult)
            }
            return try call.push(KMeansOut(r: try KMeans.fit(x, a.o), choices: nil), kmeansResult)
        }
        m.function("hungarian", "(cost: discern.Tensor|number[][], opts?: discern.cluster.HungarianOptions) -> discern.cluster.Assignment", """
            The optimal linear assignment of a rectangular cost matrix (as scipy.optimize.linear_sum_assignment): every row
            is matched when rows ≤ columns, every column otherwise. NaN and infinite costs are errors.
            """, options: hungarianSpec) { call in
            let cost = try doubleRows(call, 1, "cost")
            let o = try hungarianSpec.read(call, at: 2)
            return try call.push(try LinearAssignment.solve(cost, maximize: o.maximize), assignmentResult)
        }
        m.function("silhouette", "(x: discern.Tensor|number[][], labels: integer[], opts?: discern.cluster.SilhouetteOptions) -> number", """
            The mean silhouette coefficient of a clustering (scikit-learn's silhouette_score; 0 for singleton clusters).
            Needs 2 ≤ clusters ≤ rows − 1. O(n²) memory: pass sample_size for large inputs.
            """, options: silhouetteSpec) { call in
            let x = try floatMatrix(call, 1, "x")
            let labels = try call.integerList(2)
            guard labels.count == x.rows else {
                throw LuaError(code: "arg", "\(call.name): bad argument #2 (labels has \(labels.count) entries, x has \(x.rows) rows)")
            }
            let o = try silhouetteSpec.read(call, at: 3)
            if let s = o.sampleSize, s < x.rows {
                var g = SeededGenerator(seed: o.seed)
                var rows = Array(0..<x.rows)
                g.shuffle(&rows)
                let pick = rows.prefix(s).sorted()
                let sub = try FloatMatrix(pick.flatMap { x.values[($0 * x.cols)..<(($0 + 1) * x.cols)] }, rows: s, cols: x.cols)
                return call.returning(try Silhouette.score(sub, labels: pick.map { labels[$0] }, metric: o.metric))
            }
            return call.returning(try Silhouette.score(x, labels: labels, metric: o.metric))
        }
    }

    /// Builds the `discern.text` table on top of the stack.
    static func openText(_ state: LuaState) {
        let m = LuaModuleBuilder(state, "discern.text", doc: "discern.text: contrastive n-gram labels (log_odds).", capacity: 1)
        m.function("log_odds", "(texts_a: string[], texts_b: string[], opts?: discern.text.LogOddsOptions) -> discern.text.LogOddsResult", """
            The n-grams that separate texts A from texts B: the log-odds ratio with an informative Dirichlet prior (Monroe,
            Colaresi & Quinn 2008). Words are lowercased runs of letters, digits and apostrophes; n = 1..ngram_max. The prior
            is α_w = prior_mass · (background count + 0.01) / Σ(…); δ_w = log[(y_A + α_w)/(n_A + α₀ − y_A − α_w)] −
            log[(y_B + α_w)/(n_B + α₀ − y_B − α_w)], σ² = 1/(y_A + α_w) + 1/(y_B + α_w), z = δ/σ. Returns `top` n-grams per
            side with counts and document frequencies.
            """, options: logOddsSpec) { call in
            let a = try call.stringList(1), b = try call.stringList(2)
            let o = try logOddsSpec.read(call, at: 3)
            return try call.push(try LogOdds.compare(a, b, o.o), logOddsResult)
        }
    }

    /// Adds `classifier_test` to the `discern.stats` table at `mod`.
    static func defineStats(_ state: LuaState, _ mod: Int32) {
        let m = LuaModuleBuilder(state, "discern.stats", at: mod)
        m.function("classifier_test", """
            (xa: discern.Tensor|number[][], xb: discern.Tensor|number[][], opts?: discern.stats.ClassifierTestOptions) -> \
            discern.stats.ClassifierTestResult
            """, """
            Classifier two-sample test (Lopez-Paz & Oquab 2017): L2-regularised logistic regression on standardised features,
            stratified k-fold held-out accuracy and AUC, and a permutation p-value (1 + #{permuted accuracy ≥ observed}) /
            (permutations + 1) over relabellings of the pooled rows. Seeded; the same for any thread count.
            """, options: classifierSpec) { call in
            let a = try floatMatrix(call, 1, "xa"), b = try floatMatrix(call, 2, "xb")
            let o = try classifierSpec.read(call, at: 3)
            return try call.push(try ClassifierTest.run(a, b, o.o), classifierResult)
        }
    }
}
