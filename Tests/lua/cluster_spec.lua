local discern = require "discern"
local cluster = discern.cluster

-- Three tight blobs in 2-D, 10 rows each (deterministic jitter).
local function blobs()
  local rows, truth = {}, {}
  local centres = {{0, 0}, {10, 0}, {0, 10}}
  for c = 1, 3 do
    for i = 1, 10 do
      rows[#rows + 1] = {centres[c][1] + 0.1 * math.sin(i * c), centres[c][2] + 0.1 * math.cos(i + c)}
      truth[#truth + 1] = c
    end
  end
  return rows, truth
end

-- Whether two label lists are the same partition.
local function same_partition(a, b)
  local ab, ba = {}, {}
  for i = 1, #a do
    if ab[a[i]] and ab[a[i]] ~= b[i] then return false end
    if ba[b[i]] and ba[b[i]] ~= a[i] then return false end
    ab[a[i]], ba[b[i]] = b[i], a[i]
  end
  return #a == #b
end

describe("discern.cluster.kmeans", function()
  it("recovers blobs from a list of rows or a tensor, labels 1-based", function()
    local rows, truth = blobs()
    for _, x in ipairs({rows, discern.tensor(rows)}) do
      for _, method in ipairs({"lloyd", "minibatch"}) do
        local r = cluster.kmeans(x, {k = 3, method = method, n_init = 2, seed = 1})
        assert.truthy(same_partition(r.labels, truth), method)
        assert.equal(r.k, 3)
        assert.equal(r.centroids:shape(), {3, 2})
        assert.truthy(r.inertia < 1)
        assert.equal(r.converged, true)
        local lo, hi = math.huge, -math.huge
        for _, l in ipairs(r.labels) do lo, hi = math.min(lo, l), math.max(hi, l) end
        assert.equal(lo, 1); assert.equal(hi, 3)
      end
    end
  end)

  it("starts from given centres, and chooses k automatically", function()
    local rows, truth = blobs()
    local r = cluster.kmeans(rows, {k = 3, init = discern.tensor({{0, 0}, {10, 0}, {0, 10}}), max_iter = 10, tol = 0})
    assert.equal(r.labels, truth)
    local auto = cluster.kmeans(discern.tensor(rows), {k = "auto", n_init = 2})
    assert.equal(#auto.auto, 2) -- n = 30: k ∈ {2, 4}
    assert.truthy(auto.k == 2 or auto.k == 4)
    assert.equal(auto.auto[1].k, 2); assert.equal(auto.auto[2].k, 4)
    local c = cluster.kmeans(rows, {k = 3, metric = "cosine"})
    assert.equal(#c.labels, 30)
  end)

  it("names bad arguments", function()
    local rows = blobs()
    assert.errors(function() cluster.kmeans(rows, {k = 31}) end, {contains = "k (31) must be at most the number of rows (30)"})
    assert.errors(function() cluster.kmeans(rows, {}) end, {contains = "option 'k'"})
    assert.errors(function() cluster.kmeans(rows, {k = 0}) end, {contains = "option 'k' must be a positive integer or \"auto\""})
    assert.errors(function() cluster.kmeans(rows, {k = 2, methd = "lloyd"}) end, {contains = "unknown option 'methd'"})
    assert.errors(function() cluster.kmeans({}, {k = 2}) end, {message = "discern.cluster.kmeans: bad argument #1 (x is empty)"})
    assert.errors(function() cluster.kmeans({{1, 2}, {3}}, {k = 1}) end, {contains = "x row 2 has 1 numbers, expected 2"})
    assert.errors(function() cluster.kmeans({{1, 0 / 0}}, {k = 1}) end, {contains = "x[1][2] is"})
    assert.errors(function() cluster.kmeans(discern.tensor({1, 2, 3}), {k = 1}) end, {contains = "x must be a 2-D tensor, got shape [3]"})
    assert.errors(function() cluster.kmeans(rows, {k = 2, init = discern.tensor({{1, 2, 3}, {4, 5, 6}})}) end,
      {contains = "option 'init' must be k × d = 2 × 2 centres, got shape [2, 3]"})
    assert.errors(function() cluster.kmeans(rows, {k = 2, init = "random"}) end, {contains = "option 'init' must be \"k-means++\""})
    assert.errors(function() cluster.kmeans(rows, {k = 2, method = "elkan"}) end, {contains = "method"})
    assert.errors(function() cluster.kmeans({{1}, {2}}, {k = "auto"}) end, {contains = "needs at least 10 rows"})
  end)
end)

describe("discern.cluster.hungarian", function()
  it("solves square and rectangular problems, 1-based", function()
    local r = cluster.hungarian({{4, 1, 3}, {2, 0, 5}, {3, 2, 2}})
    assert.equal(r.pairs, {{1, 2}, {2, 1}, {3, 3}})
    assert.equal(r.total, 5)
    assert.equal(cluster.hungarian({{4, 1, 3}, {2, 0, 5}, {3, 2, 2}}, {maximize = true}).total, 11)
    local tall = cluster.hungarian(discern.tensor({{1, 9}, {9, 1}, {0, 0}}))
    assert.equal(#tall.pairs, 2)
    assert.equal(tall.total, 1)
  end)

  it("names bad costs", function()
    assert.errors(function() cluster.hungarian({}) end, {contains = "bad argument #1 (cost is empty)"})
    assert.errors(function() cluster.hungarian({{1, 0 / 0}}) end, {contains = "cost[1][2] is"})
    assert.errors(function() cluster.hungarian({{1, math.huge}}) end, {contains = "cost[1][2] is inf, every cost must be finite"})
    assert.errors(function() cluster.hungarian({{1, 2}, {3}}) end, {contains = "cost row 2 has 1 entries"})
    assert.errors(function() cluster.hungarian("x") end, {contains = "bad argument #1"})
  end)
end)

describe("discern.cluster.silhouette", function()
  it("scores a clustering", function()
    local s = cluster.silhouette({{0}, {1}, {5}}, {7, 7, 2})
    assert.truthy(math.abs(s - (0.8 + 0.75) / 3) < 1e-6)
    local rows, truth = blobs()
    assert.truthy(cluster.silhouette(rows, truth, {sample_size = 20, seed = 2}) > 0.9)
    assert.errors(function() cluster.silhouette({{0}, {1}}, {1}) end, {contains = "labels has 1 entries, x has 2 rows"})
    assert.errors(function() cluster.silhouette({{0}, {1}, {2}}, {1, 1, 1}) end, {contains = "got 1 cluster for 3 rows"})
  end)
end)

describe("discern.text.log_odds", function()
  it("ranks the planted n-grams with document frequencies", function()
    local a, b = {}, {}
    local words = {"the", "cat", "sat", "on", "mat", "dog", "ran", "far", "home"}
    for i = 1, 40 do
      local t = {}
      for j = 1, 8 do t[#t + 1] = words[(i * 7 + j * 3) % #words + 1] end
      local u = {}
      for j = 1, 8 do u[#u + 1] = words[((i + 1) * 7 + j * 3) % #words + 1] end
      if i % 2 == 0 then t[#t + 1] = "purple banana" end
      if i % 4 == 0 then u[#u + 1] = "zebra" end
      a[#a + 1], b[#b + 1] = table.concat(t, " "), table.concat(u, " ")
    end
    local r = discern.text.log_odds(a, b, {top = 5})
    local top = {}
    for i = 1, 3 do top[r.a[i].ngram] = r.a[i] end
    assert.truthy(top["purple banana"] and top["purple"] and top["banana"])
    assert.equal(top["purple banana"].docs_a, 20); assert.equal(top["purple banana"].docs_b, 0)
    assert.equal(top["purple banana"].count_a, 20)
    assert.equal(r.b[1].ngram, "zebra"); assert.equal(r.b[1].docs_b, 10)
    assert.truthy(r.b[1].z < 0 and r.a[1].z > 0 and r.a[1].delta > 0)
    assert.equal(#r.a, 5)
  end)

  it("matches the formula on a tiny example", function()
    local r = discern.text.log_odds({"good good bad"}, {"bad bad good"}, {ngram_max = 1, min_count = 1})
    local delta = math.log(5 / 4) - math.log(4 / 5)
    assert.truthy(math.abs(r.a[1].delta - delta) < 1e-12)
    assert.truthy(math.abs(r.a[1].z - delta / math.sqrt(0.45)) < 1e-12)
  end)

  it("names bad arguments", function()
    assert.errors(function() discern.text.log_odds({}, {"x"}) end, {contains = "texts_a is empty"})
    assert.errors(function() discern.text.log_odds({"x"}, {"!!"}) end, {contains = "texts_b has no words"})
    assert.errors(function() discern.text.log_odds({"x"}, {1}) end, {contains = "bad argument #2"})
    assert.errors(function() discern.text.log_odds({"x"}, {"y"}, {ngram_max = 0}) end, {contains = "option 'ngram_max'"})
    assert.errors(function() discern.text.log_odds({"x"}, {"y"}, {prior = {}}) end, {contains = "unknown option 'prior'"})
  end)
end)

describe("discern.stats.classifier_test", function()
  local function rows(n, d, shift, seed)
    local out = {}
    local s = seed
    for i = 1, n do
      local r = {}
      for j = 1, d do
        s = (s * 1103515245 + 12345) % 2147483648
        local u1 = (s + 1) / 2147483649
        s = (s * 1103515245 + 12345) % 2147483648
        local u2 = s / 2147483648
        r[j] = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2) + shift
      end
      out[i] = r
    end
    return out
  end

  it("detects a mean shift and not its absence", function()
    local shifted = discern.stats.classifier_test(rows(60, 4, 0, 1), discern.tensor(rows(60, 4, 1.5, 2)), {permutations = 49})
    assert.equal(shifted.pvalue, 1 / 50)
    assert.truthy(shifted.accuracy > 0.8 and shifted.auc > 0.85)
    assert.equal(shifted.n_a, 60); assert.equal(shifted.n_b, 60); assert.equal(shifted.permutations, 49)
    local same = discern.stats.classifier_test(rows(60, 4, 0, 3), rows(60, 4, 0, 4), {permutations = 49, seed = 1})
    assert.truthy(same.pvalue > 0.05)
  end)

  it("names bad arguments", function()
    assert.errors(function() discern.stats.classifier_test(rows(10, 3, 0, 1), rows(10, 2, 0, 1)) end,
      {contains = "xa has 3 columns but xb has 2"})
    assert.errors(function() discern.stats.classifier_test(rows(3, 2, 0, 1), rows(10, 2, 0, 1)) end,
      {contains = "xa has 3 rows, need at least folds (5)"})
    assert.errors(function() discern.stats.classifier_test({}, rows(10, 2, 0, 1)) end, {contains = "bad argument #1 (xa is empty)"})
    assert.errors(function() discern.stats.classifier_test(rows(10, 2, 0, 1), rows(10, 2, 0, 1), {l2 = 0}) end, {contains = "option 'l2'"})
  end)
end)
