-- Error messages name Lua functions (discern.stats.fisher_exact:, discern.Model:generate:), never the
-- Swift functions behind them (fisherExact:, generate: generate:).
local discern = require "discern"
local stats = discern.stats

describe("user-facing error messages", function()
  it("name the Lua function of a statistics call once", function()
    assert.errors(function() stats.fisher_exact({{1, 2, 3}, {4, 5, 6}}) end, {code = "arg",
      message = "discern.stats.fisher_exact: table must be 2x2, got 2 rows of lengths [3, 3]"})
    assert.errors(function() stats.fisher_exact({{1, -2}, {4, 5}}) end,
      {message = "discern.stats.fisher_exact: table[1][2] must be a non-negative integer count, got -2.0"})
    assert.errors(function() stats.t{df = -1} end, {message = "discern.stats.t: df must be > 0, got -1"})
    assert.errors(function() stats.saffron{alpha = 2} end,
      {message = "discern.stats.saffron: alpha must be in (0, 1), got 2.0"})
    assert.errors(function() discern.bandit.ucb1{arms = {"a", "b"}}:update("c", 1) end,
      {message = 'discern.Bandit:update: unknown arm "c"'})
  end)

  it("name the method of a model call once", function()
    local m = discern.model.load("Tests/Fixtures/models/gpt2")
    assert.errors(function() m:generate("The cat", {top_k = 0}) end, {code = "model",
      message = "discern.Model:generate: top_k must be ≥ 1"})
    assert.errors(function() m:generate("The cat", {max_new_tokens = -1}) end,
      {message = "discern.Model:generate: max_new_tokens must be ≥ 0"})
    local err = assert.errors(function() m:generate("The cat", {topk = 3}) end)
    assert.truthy(err.message:find("^discern.Model:generate: unknown option 'topk' %(did you mean 'top_k'%?%)"), err.message)
  end)

  it("never show a Swift label or a doubled prefix", function()
    local m = discern.model.load("Tests/Fixtures/models/gpt2")
    local cases = {
      function() stats.fisher_exact({{1}}) end,
      function() stats.binom_test(5, 3) end,
      function() stats.wilson_ci(5, 3) end,
      function() stats.cohens_d({1}, {2}) end,
      function() stats.fdr({0.1, 2}) end,
      function() stats.power_t_test{d = 0, alpha = 0.05, power = 0.8} end,
      function() m:generate("x", {temperature = -1}) end,
      function() m:score({"a"}, {"b", "c"}) end,
    }
    for i, f in ipairs(cases) do
      local err = assert.errors(f)
      local msg = err.message or tostring(err)
      local name, rest = msg:match("^(discern[%w_.:]+): (.*)$")
      assert.truthy(name, "case " .. i .. " names a discern function: " .. msg)
      assert.falsy(rest:match("^[%a_][%w_]*: ") or rest:match("^%u[%w_]*%.[%a_][%w_]*: "),
        "case " .. i .. " carries a second (Swift) name: " .. msg)
    end
  end)

  it("name a transcoder set without Swift placeholders, and refuse transcoders made for another model", function()
    -- The fixture set for the tiny GPT-2, with the model_type Discern records when it trains transcoders.
    local dir = os.tmpname()
    os.remove(dir)
    discern.fs.mkdir(dir)
    for _, f in ipairs({"layer_0.safetensors", "layer_1.safetensors"}) do
      discern.fs.write(dir .. "/" .. f, discern.fs.read("Tests/Fixtures/transcoders/plt/" .. f))
    end
    discern.fs.write(dir .. "/config.yaml", "model_kind: transcoder_set\nfeature_input_hook: ln2.hook_normalized\n"
      .. "feature_output_hook: hook_mlp_out\nmodel_type: gpt2\nn_layers: 2\nd_model: 64\n")
    local t = discern.circuit.load_transcoders(dir)
    local gpt2 = discern.model.load("Tests/Fixtures/models/gpt2")
    local llama = discern.model.load("Tests/Fixtures/models/llama")
    assert.truthy(discern.circuit.replacement_model(gpt2, t))
    assert.errors(function() discern.circuit.replacement_model(llama, t) end, {code = "transcoder",
      message = "discern.circuit.replacement_model: transcoder set: was made for a gpt2 model (model_type in its config.yaml), not this llama model"})
    assert.equal(#gpt2:fingerprint(), 16)
    assert.truthy(gpt2:fingerprint() ~= llama:fingerprint())
    discern.fs.remove(dir)
  end)
end)
