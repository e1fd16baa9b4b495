--- discern.random: a small seeded random stream in pure Lua (SplitMix64), for grammars, strategies
--- and simulations that must be reproducible and independent of math.random's global state.
---
---     local rng = discern.random.new(42)
---     rng:uniform()            -- [0, 1)
---     rng:int(1, 6)            -- uniform integer in [1, 6]
---     rng:choice({"a", "b"})   -- a uniform element
---     rng:fork("topic:cooking")-- an independent stream derived from this one's seed and a tag
local random = {}

local Rng = {}
Rng.__index = Rng
Rng.__name = "discern.Rng"

function Rng:__tostring() return string.format("discern.Rng(seed %d)", self.seed) end

local GOLDEN = 0x9E3779B97F4A7C15

local function mix(z)
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return z ~ (z >> 31)
end

--- Creates a stream from an integer seed.
---@param seed integer
---@return table a discern.Rng
function random.new(seed)
  if math.type(seed) ~= "integer" then
    error(require("discern").error("arg", "discern.random.new: bad argument #1 (integer seed expected, got "
      .. (math.type(seed) or type(seed)) .. ")"), 2)
  end
  return setmetatable({seed = seed, state = seed}, Rng)
end

--- Returns the next 64 random bits as a Lua integer.
---@return integer
function Rng:next64()
  self.state = self.state + GOLDEN
  return mix(self.state)
end

--- Returns a uniform number in [0, 1) with 53 random bits.
---@return number
function Rng:uniform()
  return (self:next64() >> 11) * 0x1.0p-53
end

--- Returns a uniform integer in [lo, hi] (unbiased: rejection on the top bits).
---@param lo integer
---@param hi integer
---@return integer
function Rng:int(lo, hi)
  if math.type(lo) ~= "integer" or math.type(hi) ~= "integer" or hi < lo then
    error(require("discern").error("arg", "discern.Rng:int: need integers lo <= hi, got " .. tostring(lo) .. ", " .. tostring(hi)), 2)
  end
  local span = hi - lo + 1
  if span <= 0 then return lo + (self:next64() & 0x7FFFFFFFFFFFFFFF) % (hi - lo) end  -- full 64-bit range
  local limit = (0x7FFFFFFFFFFFFFFF // span) * span
  while true do
    local v = self:next64() & 0x7FFFFFFFFFFFFFFF
    if v < limit then return lo + v % span end
  end
end

--- Returns a uniform element of a non-empty list.
---@param list any[]
---@return any
function Rng:choice(list)
  if type(list) ~= "table" or #list == 0 then
    error(require("discern").error("arg", "discern.Rng:choice: need a non-empty list"), 2)
  end
  return list[self:int(1, #list)]
end

--- Returns true with probability p.
---@param p number
---@return boolean
function Rng:bernoulli(p) return self:uniform() < p end

--- Shuffles a list in place (Fisher–Yates) and returns it.
---@param list any[]
---@return any[]
function Rng:shuffle(list)
  for i = #list, 2, -1 do
    local j = self:int(1, i)
    list[i], list[j] = list[j], list[i]
  end
  return list
end

--- Returns an independent stream derived from this stream's seed and a string tag (the parent is
--- not advanced, so adding a fork never changes other draws).
---@param tag string
---@return table
function Rng:fork(tag)
  local h = self.seed ~ 0x27D4EB2F165667C5
  for i = 1, #tag do h = mix(h + tag:byte(i) * GOLDEN) end
  return random.new(mix(h))
end

return random
