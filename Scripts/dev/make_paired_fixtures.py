#!/usr/bin/env python3
"""Generates Tests/Fixtures/stats/paired.json: references for the paired tests (exact McNemar, the
sign test, the Wilcoxon signed-rank test) and the minimum-effect (margin) tests of the Stats module.

Run with the dev venv (installs scipy, statsmodels and mpmath into the running interpreter's
environment when they are missing, without changing its numpy; see make_test_fixtures.py):

    /work/main/.venv-dev/bin/python Scripts/dev/make_paired_fixtures.py

Deterministic: inputs are fixed grids and samples from fixed numpy seeds, rounded to a few
decimals; doubles are written as 17-significant-digit strings, counts as JSON integers.

Sections:

* ``mcnemar``: statsmodels ``mcnemar([[0, b], [c, 0]], exact=True)`` statistic and p-value
  (two-sided) and scipy ``binomtest(b, b + c, 0.5, alternative)`` for the one-sided alternatives
  ("greater": the second proportion larger, b > c). b + c = 0 has p = 1 (statsmodels' value).
* ``sign_test``: scipy ``binomtest(n_plus, n_plus + n_minus, 0.5, alternative)`` on the counts of
  differences above / below mu; the two-sided p-value and M = (n+ - n-)/2 are also checked against
  statsmodels ``sign_test(d, mu0)`` here (asserted equal).
* ``wilcoxon``: scipy ``wilcoxon(x, y, zero_method, correction, alternative, method)`` with the
  method scipy's 'auto' rule picked ("permutation" where scipy runs its exact sign-flip
  ``permutation_test``). For method 'exact' the p-value is also computed here by counting subsets
  with Python integers (``pvalue_counting``): scipy forms an upper tail above the mean as
  1 - (sum of the rest), which loses relative accuracy for tiny p-values; the script asserts the
  two agree to 1e-12 absolute and the Swift test compares with the counted value. Cases with
  ``method`` "permutation" and more than 13 values use scipy with ``PermutationMethod(n_resamples=
  inf)`` (full enumeration).
* ``min_effect_rate``: unpaired rates, the Miettinen-Nurminen score test: z = (p1 - p0 - m)/
  sqrt((p1~(1 - p1~)/n1 + p0~(1 - p0~)/n0) N/(N - 1)) at the restricted MLE p1~ - p0~ = m, found here
  as the brentq root (1e-15) of the derivative of the binomial log-likelihood. statsmodels
  ``test_proportions_2indep(value=m, method='score', compare='diff')`` computes the same statistic,
  but its closed-form cubic has a wrong linear coefficient (``count0`` for ``nobs0``,
  statsmodels#10269, open for 0.14.6), so its restricted MLE is not the maximum for m != 0; it is
  recorded as ``statsmodels_pvalue_increase`` for orientation only and asserted equal at m = 0
  (pooled shortcut, unaffected). ``p_zero`` is scipy ``fisher_exact`` per alternative; the interval
  limits are brentq roots of z at the one- or two-sided critical values.
* ``min_effect_rate_paired``: Tango's score test. No library implements it, so the reference is
  independent of the closed-form root the Swift code uses: the restricted MLE of q = P(1 -> 0) is
  the root of the derivative of the multinomial log-likelihood b log(q + d) + c log q +
  (n - b - c) log(1 - 2q - d), found with ``brentq`` to 1e-15, and z = (b - c - n d)/sqrt(n(2q +
  d(1 - d))); the interval limits are brentq roots of z at the critical values. Margin 0 cases use
  statsmodels' exact McNemar (one-sided from scipy ``binomtest``).
* ``min_effect_mean``: t from scipy ``ttest_ind(model, base)`` (pooled) or ``ttest_rel(model,
  base)``; p-values are the noncentral t tails at 60 digits (``nct_series`` of
  make_test_fixtures.py; scipy ``nct`` agrees to 1e-9, asserted): P(T >= t; m c) and P(T <= t; -m c)
  with c = sqrt(n0 n1/(n0 + n1)) or sqrt(n); ``p_zero`` scipy ``ttest_ind(equal_var=False)`` /
  ``ttest_rel``; the interval of d is brentq on scipy ``nct`` (xtol 1e-13), compared at 1e-8.
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_test_fixtures as base  # noqa: E402  (installs scipy, statsmodels, mpmath when missing)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import statsmodels  # noqa: E402
from scipy import optimize, stats  # noqa: E402
from statsmodels.stats import contingency_tables, descriptivestats, proportion  # noqa: E402

d = base.d
ds = base.ds
ALTERNATIVES = base.ALTERNATIVES
OUT = base.OUT
ROOT = base.ROOT


def sample(seed, n, loc=0.0, scale=1.0, decimals=1):
    return base.sample(seed, n, loc, scale, decimals)


# ---------------------------------------------------------------------------------------------
# McNemar and the sign test

def mcnemar_cases():
    cases = []
    for b, c in [(0, 0), (0, 1), (5, 0), (3, 3), (10, 2), (2, 10), (7, 8), (50, 30), (200, 150),
                 (1000, 900), (0, 40), (123, 4567)]:
        sm = contingency_tables.mcnemar([[0, b], [c, 0]], exact=True)
        for alt in ALTERNATIVES:
            if alt == "two-sided":
                p, stat = float(sm.pvalue), float(sm.statistic)
            else:
                p = 1.0 if b + c == 0 else stats.binomtest(b, b + c, 0.5, alternative=alt).pvalue
                stat = float(min(b, c))
            if b + c > 0 and alt == "two-sided":
                ref = stats.binomtest(b, b + c, 0.5).pvalue
                assert abs(ref - p) <= 1e-12 * max(p, 1e-300) + 1e-300, (b, c, ref, p)
            cases.append({"b": b, "c": c, "alternative": alt, "statistic": d(stat), "pvalue": d(p)})
    return cases


def sign_samples():
    return [("small", [1.5, -0.5, 2.0, 3.0, 0.0, 1.0, -1.0, 2.5]),
            ("zeros", [0.0, 0.0, 1.0, 2.0, -1.0, 0.0, 3.0, 4.0, 5.0, 0.0]),
            ("normal 40", sample(501, 40, 0.3)),
            ("normal 300", sample(502, 300, 0.1)),
            ("ints 25", base.sample(503, 25, -2, 5, 0, kind="integers"))]


def sign_cases():
    cases = []
    for label, x in sign_samples():
        for mu in (0.0, 1.0):
            arr = np.array(x) - mu
            npos, nneg = int((arr > 0).sum()), int((arr < 0).sum())
            m_sm, p_sm = descriptivestats.sign_test(np.array(x), mu0=mu)
            for alt in ALTERNATIVES:
                p = stats.binomtest(npos, npos + nneg, 0.5, alternative=alt).pvalue
                if alt == "two-sided":
                    assert abs(p - p_sm) <= 1e-12 * p, (label, p, p_sm)
                    assert m_sm == (npos - nneg) / 2
                cases.append({"label": label, "x": ds(x), "mu": d(mu), "alternative": alt,
                              "statistic": d((npos - nneg) / 2), "pvalue": d(p), "positive": npos, "negative": nneg,
                              "zeros": len(x) - npos - nneg})
    return cases


# ---------------------------------------------------------------------------------------------
# Wilcoxon signed-rank

def wilcoxon_samples():
    """(label, x, y or None)."""
    return [("8 distinct", [1.83, -0.52, 0.97, 2.41, -1.30, 0.44, 1.12, 3.05], None),
            ("9 ties", [1.0, 2.0, -2.0, 3.0, 3.0, -1.0, 4.0, 2.0, 5.0], None),
            ("10 zeros", [0.0, 1.0, -2.0, 3.0, 0.0, 4.0, 5.0, -1.5, 6.0, 2.5], None),
            ("13 ties zeros", [0.0, 1.0, 1.0, -1.0, 2.0, 2.0, -3.0, 4.0, 0.0, 5.0, 5.0, 6.0, -2.0], None),
            ("12 x y", sample(601, 12, 5.0), sample(602, 12, 4.5)),
            ("20 ties", base.sample(603, 20, -3, 8, 0, kind="integers"), None),
            ("30 distinct", [float(v) for v in np.round(np.random.default_rng(604).normal(0.4, 1, 30), 4)], None),
            ("50 distinct", [float(v) for v in np.round(np.random.default_rng(605).normal(0.05, 1, 50), 5)], None),
            ("80 normal", sample(606, 80, 0.2), None),
            ("15 perm", [0.0, 1.0, 1.0, -1.0, 2.0, 2.0, -3.0, 4.0, 0.0, 5.0, 5.0, 6.0, -2.0, 7.0, 1.0], None),
            ("all zero", [0.0, 0.0, 0.0, 1.0], None),
            ("extreme", [float(v) for v in range(1, 41)], None)]


def auto_method(dd, zero_method):
    n = len(dd)
    nz = int((dd == 0).sum())
    if n > 50:
        return "asymptotic"
    ranked = np.abs(dd[dd != 0]) if zero_method == "wilcox" else np.abs(dd)
    ties = len(np.unique(ranked)) < len(ranked)
    if not ties and nz == 0:
        return "exact"
    return "permutation" if n <= 13 else "asymptotic"


def exact_counting(count, r_plus, alt):
    """Exact p of the no-tie signed-rank distribution with integer subset counts."""
    total = count * (count + 1) // 2
    ways = [0] * (total + 1)
    ways[0] = 1
    for i in range(1, count + 1):
        for s in range(total, i - 1, -1):
            ways[s] += ways[s - i]
    denom = 2 ** count

    def cdf(k):
        return sum(ways[:k + 1]) if k >= 0 else 0

    def sf(k):
        return sum(ways[max(k, 0):])
    lo, hi = math.ceil(r_plus), math.floor(r_plus)
    if alt == "less":
        num = cdf(lo)
    elif alt == "greater":
        num = sf(hi)
    else:
        num = 2 * min(sf(hi), cdf(lo))
    return min(1.0, num / denom)


def r_plus_of(dd, zero_method):
    if zero_method == "wilcox":
        v = dd[dd != 0]
        r = stats.rankdata(np.abs(v))
        return float(r[v > 0].sum()), len(v)
    r = stats.rankdata(np.abs(dd))
    rp = float(r[dd > 0].sum())
    if zero_method == "zsplit":
        rp += float(r[dd == 0].sum()) / 2
    return rp, len(dd)


def wilcoxon_cases():
    cases = []
    for label, x, y in wilcoxon_samples():
        dd = np.array(x) - (np.array(y) if y is not None else 0)
        for zero_method in ("wilcox", "pratt", "zsplit"):
            if label == "all zero" and zero_method == "wilcox":
                continue  # one nonzero value: fine, but keep the grid small
            for method in ("auto", "exact", "asymptotic", "permutation"):
                if method == "permutation" and len(dd) > 16:
                    continue
                if method == "exact" and len(dd) > 60:
                    continue
                for correction in (False, True):
                    if correction and method != "asymptotic":
                        continue
                    for alt in ALTERNATIVES:
                        m = stats.PermutationMethod(n_resamples=np.inf) if method == "permutation" else method
                        res = stats.wilcoxon(x, y, zero_method=zero_method, correction=correction, alternative=alt,
                                             method=m)
                        used = auto_method(dd, zero_method) if method == "auto" else method
                        c = {"label": label, "x": ds(x), "y": ds(y) if y is not None else None,
                             "zero_method": zero_method, "method": method, "method_used": used,
                             "correction": correction, "alternative": alt, "statistic": d(res.statistic),
                             "pvalue": d(res.pvalue)}
                        if used == "exact":
                            rp, count = r_plus_of(dd, zero_method)
                            counted = exact_counting(count, rp, alt)
                            assert abs(counted - res.pvalue) <= 1e-12, (label, counted, res.pvalue)
                            c["pvalue_counting"] = d(counted)
                        if math.isnan(res.pvalue):
                            continue  # scipy gives NaN where every difference is dropped
                        cases.append(c)
    return cases


# ---------------------------------------------------------------------------------------------
# Minimum-effect tests

def normal_crit(alpha):
    return stats.norm.isf(alpha)


def sides(direction, level):
    if direction == "increase":
        return 1 - level, True, False
    if direction == "decrease":
        return 1 - level, False, True
    return (1 - level) / 2, True, True


def invert(z, est, direction, level, lo=-1.0, hi=1.0):
    """The score interval: brentq roots of z at the critical values, bracketed by steps of 0.01 from
    the estimate (statsmodels' score statistic is NaN within about 1e-13 of -1 and 1)."""
    alpha, want_lower, want_upper = sides(direction, level)
    crit = normal_crit(alpha)
    lower, upper = lo, hi

    def bracket(sign, target):
        inner = est
        while True:
            outer = inner + sign * 0.01
            if (sign < 0 and outer <= lo) or (sign > 0 and outer >= hi):
                outer = lo + 1e-9 if sign < 0 else hi - 1e-9
                if (z(outer) - target) * sign < 0:
                    return None
            v = z(outer)
            if (v - target) * sign <= 0:
                return (outer, inner) if sign < 0 else (inner, outer)
            inner = outer
    if want_lower and est > lo:
        ends = bracket(-1, crit)
        lower = lo if ends is None else optimize.brentq(lambda t: z(t) - crit, *ends, xtol=1e-15, rtol=8.9e-16, maxiter=500)
    if want_upper and est < hi:
        ends = bracket(1, -crit)
        upper = hi if ends is None else optimize.brentq(lambda t: z(t) + crit, *ends, xtol=1e-15, rtol=8.9e-16, maxiter=500)
    return lower, upper


def mn_restricted(x1, n1, x0, n0, delta):
    """The restricted MLE p0 (p1 = p0 + delta) as the root of the log-likelihood's derivative."""
    lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)

    def g(p0):
        p1 = p0 + delta
        v = 0.0
        if x1:
            v += x1 / p1
        if n1 - x1:
            v -= (n1 - x1) / (1 - p1)
        if x0:
            v += x0 / p0
        if n0 - x0:
            v -= (n0 - x0) / (1 - p0)
        return v
    if hi <= lo:
        return lo
    a, b = lo + (hi - lo) * 1e-15 + 1e-300, hi - (hi - lo) * 1e-15
    if g(a) <= 0:
        return lo
    if g(b) >= 0:
        return hi
    return optimize.brentq(g, a, b, xtol=1e-17, rtol=8.9e-16, maxiter=1000)


def mn_z(x1, n1, x0, n0, delta):
    """Miettinen-Nurminen z: (p1 - p0 - delta)/sqrt(v N/(N - 1)) at the restricted MLE."""
    p0 = mn_restricted(x1, n1, x0, n0, delta)
    p1 = p0 + delta
    n = n1 + n0
    var = (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) * n / (n - 1)
    num = x1 / n1 - x0 / n0 - delta
    if var <= 0:
        return math.inf if num > 0 else -math.inf
    return num / math.sqrt(var)


def rate_unpaired_cases():
    grid = [(30, 100, 20, 100), (70, 200, 60, 200), (0, 50, 0, 50), (50, 50, 50, 50), (10, 10, 2, 12),
            (41, 200, 18, 200), (5, 40, 9, 60), (99, 100, 80, 100), (1, 30, 0, 25), (120, 400, 130, 380)]
    cases = []
    for x1, n1, x0, n0 in grid:
        for m in (0.0, 0.05, 0.1, 0.2):
            pinc = stats.norm.sf(mn_z(x1, n1, x0, n0, m))
            pdec = stats.norm.sf(mn_z(x0, n0, x1, n1, m))
            sm = proportion.test_proportions_2indep(x1, n1, x0, n0, value=m, method="score", compare="diff",
                                                     alternative="larger", correction=True).pvalue
            if m == 0 and not math.isnan(sm):
                # No margin: statsmodels' pooled shortcut, unaffected by statsmodels#10269.
                assert abs(sm - pinc) <= 1e-12 * pinc + 1e-300, (x1, n1, x0, n0, sm, pinc)
            est = x1 / n1 - x0 / n0
            for direction in ("increase", "decrease", "either"):
                alt = {"increase": "greater", "decrease": "less", "either": "two-sided"}[direction]
                p_zero = stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]], alternative=alt).pvalue
                p = {"increase": pinc, "decrease": pdec, "either": min(1.0, 2 * min(pinc, pdec))}[direction]
                lower, upper = invert(lambda t: mn_z(x1, n1, x0, n0, t), est, direction, 0.95)
                cases.append({"x1": x1, "n1": n1, "x0": x0, "n0": n0, "min_effect": d(m), "direction": direction,
                              "pvalue": d(p), "p_zero": d(p_zero), "effect": d(est), "ci": ds([lower, upper]),
                              "statsmodels_pvalue_increase": d(sm)})
    return cases


def tango_q_numeric(b, c, n, delta):
    """The restricted MLE of q by the root of the log-likelihood's derivative (not the quadratic)."""
    m = n - b - c
    lo = max(0.0, -delta)
    hi = (1 - delta) / 2

    def g(q):
        v = 0.0
        if b:
            v += b / (q + delta)
        if c:
            v += c / q
        if m:
            v -= 2 * m / (1 - 2 * q - delta)
        return v
    eps = 1e-300
    if hi - lo <= 0:
        return lo
    a, z = lo + (hi - lo) * 1e-15 + eps, hi - (hi - lo) * 1e-15
    if g(a) <= 0:
        return lo
    if g(z) >= 0:
        return hi
    return optimize.brentq(g, a, z, xtol=1e-17, rtol=8.9e-16, maxiter=1000)


def tango_z(b, c, n, delta):
    q = tango_q_numeric(b, c, n, delta)
    var = n * (2 * q + delta * (1 - delta))
    num = b - c - n * delta
    if var <= 0:
        return math.inf if num > 0 else (-math.inf if num < 0 else 0.0)
    return num / math.sqrt(var)


def rate_paired_cases():
    grid = [(20, 8, 100), (8, 20, 100), (0, 0, 50), (5, 0, 40), (0, 5, 40), (30, 10, 200), (40, 35, 150),
            (3, 1, 10), (60, 20, 80)]
    cases = []
    for b, c, n in grid:
        for m in (0.0, 0.05, 0.1):
            est = (b - c) / n
            if m == 0:
                pinc = 1.0 if b + c == 0 else stats.binomtest(b, b + c, 0.5, alternative="greater").pvalue
                pdec = 1.0 if b + c == 0 else stats.binomtest(b, b + c, 0.5, alternative="less").pvalue
            else:
                pinc = stats.norm.sf(tango_z(b, c, n, m))
                pdec = stats.norm.sf(tango_z(c, b, n, m))
            for direction in ("increase", "decrease", "either"):
                alt = {"increase": "greater", "decrease": "less", "either": "two-sided"}[direction]
                if b + c == 0:
                    p_zero = 1.0
                elif alt == "two-sided":
                    p_zero = float(contingency_tables.mcnemar([[0, b], [c, 0]], exact=True).pvalue)
                else:
                    p_zero = stats.binomtest(b, b + c, 0.5, alternative=alt).pvalue
                p = {"increase": pinc, "decrease": pdec, "either": min(1.0, 2 * min(pinc, pdec))}[direction]
                lower, upper = invert(lambda t: tango_z(b, c, n, t), est, direction, 0.95)
                cases.append({"b": b, "c": c, "n": n, "min_effect": d(m), "direction": direction, "pvalue": d(p),
                              "p_zero": d(p_zero), "effect": d(est), "ci": ds([lower, upper])})
    return cases


def nct_tail(t, df, nc, upper):
    v = float(base.nct_series(t, df, nc, upper))
    sc = stats.nct.sf(t, df, nc) if upper else stats.nct.cdf(t, df, nc)
    assert abs(sc - v) <= 1e-9 * v + 1e-300, (t, df, nc, upper, v, sc)
    return v


def invert_t(t, df, c, direction, level):
    alpha, want_lower, want_upper = sides(direction, level)
    lower, upper = -math.inf, math.inf
    span = 8 + 0.5 * abs(t)
    if want_lower:
        lower = optimize.brentq(lambda nc: stats.nct.sf(t, df, nc) - alpha, t - span, t + span, xtol=1e-13) / c
    if want_upper:
        upper = optimize.brentq(lambda nc: alpha - stats.nct.cdf(t, df, nc), t - span, t + span, xtol=1e-13) / c
    return lower, upper


def mean_cases():
    pairs = [("unpaired 20/25", sample(701, 20, 0.0, 1.0, 3), sample(702, 25, 0.5, 1.0, 3), False),
             ("unpaired 60/60", sample(703, 60, 1.0, 2.0, 3), sample(704, 60, 1.2, 2.0, 3), False),
             ("unpaired 8/12 neg", sample(705, 8, 0.0, 1.0, 3), sample(706, 12, -0.9, 1.0, 3), False),
             ("paired 15", sample(707, 15, 0.0, 1.0, 3), None, True),
             ("paired 100", sample(709, 100, 0.0, 1.0, 3), None, True)]
    cases = []
    for label, b, mdl, paired in pairs:
        if paired:
            mdl = [round(v + w, 3) for v, w in zip(b, sample(708 if len(b) == 15 else 710, len(b), 0.3, 0.8, 3))]
            res = stats.ttest_rel(mdl, b)
            t, df = float(res.statistic), len(b) - 1.0
            c = math.sqrt(len(b))
            diffs = np.array(mdl) - np.array(b)
            effect = diffs.mean() / diffs.std(ddof=1)
            zero = {alt: stats.ttest_rel(mdl, b, alternative=alt).pvalue for alt in ALTERNATIVES}
        else:
            res = stats.ttest_ind(mdl, b, equal_var=True)
            t, df = float(res.statistic), len(b) + len(mdl) - 2.0
            c = math.sqrt(len(b) * len(mdl) / (len(b) + len(mdl)))
            effect = t / c
            zero = {alt: stats.ttest_ind(mdl, b, equal_var=False, alternative=alt).pvalue for alt in ALTERNATIVES}
        for m in (0.0, 0.2, 0.5):
            pinc = nct_tail(t, df, m * c, True)
            pdec = nct_tail(t, df, -m * c, False)
            for direction in ("increase", "decrease", "either"):
                alt = {"increase": "greater", "decrease": "less", "either": "two-sided"}[direction]
                p = {"increase": pinc, "decrease": pdec, "either": min(1.0, 2 * min(pinc, pdec))}[direction]
                lower, upper = invert_t(t, df, c, direction, 0.95)
                cases.append({"label": label, "paired": paired, "base": ds(b), "model": ds(mdl), "min_effect": d(m),
                              "direction": direction, "t": d(t), "pvalue": d(p), "p_zero": d(zero[alt]),
                              "effect": d(effect), "ci": ds([lower, upper])})
    return cases


def main():
    header = {"generator": "Scripts/dev/make_paired_fixtures.py", "scipy": scipy.__version__,
              "statsmodels": statsmodels.__version__, "numpy": np.__version__}
    base.write("paired.json", dict(header, mcnemar=mcnemar_cases(), sign_test=sign_cases(), wilcoxon=wilcoxon_cases(),
                                   min_effect_rate=rate_unpaired_cases(), min_effect_rate_paired=rate_paired_cases(),
                                   min_effect_mean=mean_cases()))


if __name__ == "__main__":
    main()
