-- Quickstart: tensors and a gradient from Lua.
--   Scripts/discern run Scripts/examples/quickstart.lua
local discern = require "discern"

local x = discern.tensor({{1, 2}, {3, 4}}, {requires_grad = true})
local w = discern.tensor({{0.5}, {-1}})
local y = x:matmul(w):tanh():sum()        -- y = Σ tanh(x · w)
y:backward()

print("x      =", x)
print("y      =", y:item())
print("dy/dx  =", x:grad())

-- Check the gradient against a central finite difference for one entry (0-based [1, 0]).
local eps = 1e-3
local function f(v)
  local xv = discern.tensor({{1, 2}, {v, 4}})
  return xv:matmul(w):tanh():sum():item()
end
local numeric = (f(3 + eps) - f(3 - eps)) / (2 * eps)
print(string.format("finite difference d y / d x[1][0] = %.5f, autograd = %.5f", numeric, x:grad():tolist()[2][1]))
