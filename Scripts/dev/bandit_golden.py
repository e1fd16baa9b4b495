#!/usr/bin/env python3
"""Prints the reference values used by Tests/StatsTests/BanditIndexTests.swift.

Run with any Python that has mpmath (the dev venv has it):

    python3 Scripts/dev/bandit_golden.py

Everything is evaluated with mpmath at 40 digits for the exact binary values of the inputs:

* KL-UCB indices U = max{q in [p, 1] : n kl(p, q) <= ln t + c ln ln t} (Bernoulli kl), found by
  bisection on the monotone function n kl(p, q) - level; the 10-digit values of the statistics notes
  (0.7560227380, 0.8812673988, 0.5426949481) are their roundings.
* UCB1 index mean + c sqrt(2 ln t / n): MABWiser's _get_ucb golden values.
* UCB-V index mean + sqrt(2 V zeta ln t / n) + c 3 b zeta ln t / n.
* Successive elimination radius sqrt(ln(4 K n^2 / delta) / (2 n)).
* LUCB1 radius sqrt(ln(5 K t^4 / (4 delta)) / (2 u)).
"""

import mpmath as mp

mp.mp.dps = 40


def f(x):
    return mp.mpf(float(x))  # the double nearest to the decimal, as the Swift test passes it


def kl(p, q):
    r = mp.mpf(0)
    if p > 0:
        r += p * mp.log(p / q)
    if p < 1:
        r += (1 - p) * mp.log((1 - p) / (1 - q))
    return r


def klucb(p, n, t, c):
    p = f(p)
    level = mp.log(t) + (c * mp.log(mp.log(t)) if c else 0)
    lo, hi = p, mp.mpf(1)
    for _ in range(200):
        mid = (lo + hi) / 2
        if n * kl(p, mid) <= level:
            lo = mid
        else:
            hi = mid
    return lo


def show(label, value):
    print(f"{label:55s} {mp.nstr(value, 20)}")


for args in [(0.3, 10, 100, 0), (0.3, 10, 100, 3), (0.0, 5, 50, 0)]:
    show("KLUCB.index(mean=%s, pulls=%d, total=%d, c=%d)" % args, klucb(*args))
for alpha in [1, 0.25, 3.33]:
    show(f"UCB1.index(20, pulls=150, total=500, c={alpha})",
         20 + f(alpha) * mp.sqrt(2 * mp.log(500) / 150))
for (m, v, n, t, z, c, b) in [(0.5, 0.25, 10, 100, 1.2, 1, 1), (0.7, 0.21, 40, 1000, 1.2, 0.5, 2)]:
    e = f(z) * mp.log(t) / n
    show(f"UCBV.index({m}, {v}, {n}, {t}, zeta={z}, c={c}, b={b})",
         f(m) + mp.sqrt(2 * f(v) * e) + f(c) * 3 * f(b) * e)
show("SuccessiveElimination.radius(pulls=5, arms=3, delta=0.05)",
     mp.sqrt(mp.log(4 * 3 * 25 / f(0.05)) / 10))
show("LUCB.radius(pulls=9, total=37, arms=4, delta=0.1)",
     mp.sqrt(mp.log(5 * 4 * mp.mpf(37) ** 4 / (4 * f(0.1))) / 18))
