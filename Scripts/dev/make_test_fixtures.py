#!/usr/bin/env python3
"""Generates the reference fixtures of the Stats hypothesis tests, intervals, effect sizes, power
and meta-analysis under Tests/Fixtures/stats/.

Run with the dev venv (installs scipy, statsmodels and mpmath into the running interpreter's
environment when they are missing, without changing its numpy):

    /work/main/.venv-dev/bin/python Scripts/dev/make_test_fixtures.py

The references are scipy and statsmodels themselves (their versions are recorded in every file);
nothing is re-implemented except where neither has the function, as noted per section. Inputs are
made here from fixed numpy seeds (``np.random.default_rng``) and the data of the notes
(41/200 vs 18/200), rounded to a few decimals so that their decimal form is short; every double is
written as a string with 17 significant digits (``"inf"``, ``"-inf"``, ``"nan"`` for non-finite
values), counts as JSON integers. Deterministic: the same files on every run.

What it writes:

* ``hypothesis_tests.json``
  - ``binom_test``: scipy ``binomtest(k, n, p, alternative)`` statistic and p-value; the
    Clopper-Pearson interval of ``proportion_ci(level, 'exact')`` as the exact beta quantiles
    ``beta.ppf`` / ``beta.isf`` (scipy finds the same limits with ``brentq``, whose absolute xtol
    of 2e-12 is too loose for 1e-10 relative on small limits; the script asserts that the two
    agree to 1e-9 absolute).
  - ``fisher_exact``: scipy ``fisher_exact(table, alternative)`` odds ratio and p-value.
  - ``two_proportion_z``: statsmodels ``proportions_ztest([k1, k2], [n1, n2], alternative)``
    (pooled), alternative "larger"/"smaller" written as "greater"/"less".
  - ``chi2_contingency``: scipy ``chi2_contingency(table, correction)`` statistic, p-value, dof,
    expected.
  - ``samples``: the two-sample data sets by label, shared by ``ttest`` and ``mann_whitney``.
  - ``ttest``: scipy ``ttest_ind(x, y, equal_var, alternative)`` t, df, p-value.
  - ``mann_whitney``: scipy ``mannwhitneyu(x, y, use_continuity, alternative, method)``; the
    method actually used is recorded (scipy's 'auto' rule: exact when a sample has at most 8
    values and there are no ties).
  - ``permutation_exact``: scipy ``permutation_test((x, y), mean difference,
    permutation_type='independent', n_resamples=9999, alternative)`` for samples whose number of
    distinct splits C(n1 + n2, n1) is at most 9999, so scipy enumerates them (deterministic).
  - ``permutation_random``: larger samples, with the exact p-value (scipy with
    ``n_resamples=inf``, full enumeration) to compare a randomized p-value with, and scipy's own
    randomized p-value (rng 12345) for orientation.
  - ``auc``: AUC = U/(n1 n0) from scipy ``mannwhitneyu``; DeLong's standard error and interval
    computed here with numpy from the structural components (no scipy/statsmodels function:
    V10_i = mean_j psi(x_i, y_j), V01_j = mean_i psi(x_i, y_j), var = var(V10)/n1 + var(V01)/n0,
    ddof 1, interval AUC -/+ z se clipped to [0, 1]); p-value scipy ``mannwhitneyu(method=
    'asymptotic')`` two-sided.
* ``intervals.json``
  - ``wilson`` / ``clopper_pearson``: statsmodels ``proportion_confint(k, n, alpha, 'wilson' /
    'beta')``.
  - ``diff_proportions``: statsmodels ``confint_proportions_2indep(k1, n1, k2, n2, method,
    compare='diff', alpha)`` for 'newcomb', 'wald', 'agresti-caffo'.
  - ``bootstrap_fixed``: the deterministic part of scipy ``bootstrap``: for a sample and a given
    bootstrap distribution (199 values drawn here, written to the file), ``bootstrap((x,),
    statistic, n_resamples=0, bootstrap_result=..., method, confidence_level, alternative)`` gives
    the ``intervals`` (BCa and percentile, three level/alternative pairs); scipy's private
    ``_bca_interval`` gives the BCa percentile levels and the jackknife acceleration a_hat, and
    z0 = ndtri of the mean percentile of score. Statistics: mean, median, std (ddof 1).
  - ``bootstrap_mc``: scipy ``bootstrap`` with 99999 resamples (rng 12345): its intervals and
    standard errors, to compare randomized intervals with within Monte Carlo error.
* ``power_meta.json``
  - ``cohens_h`` (statsmodels ``proportion_effectsize``), ``cohens_d`` / ``hedges_g`` (numpy:
    pooled ddof-1 SD, g = d (1 - 3/(4(n1+n2) - 9)); pingouin's definitions), ``rank_biserial``
    (2 U1/(n1 n2) - 1 with scipy's U1), ``cramers_v`` (scipy ``contingency.association``).
  - ``power_normal`` / ``power_t``: statsmodels ``NormalIndPower().power`` (effect size
    ``proportion_effectsize(p1, p2)``) and ``TTestIndPower().power``.
  - ``sample_size_normal`` / ``sample_size_t``: the n solving statsmodels' own power function =
    power, found with ``brentq(xtol=1e-300, rtol=8.9e-16)`` (statsmodels' ``solve_power`` uses
    xtol=1e-5; its value is recorded as ``statsmodels_solve_power`` for orientation). scipy's
    ``nctdtr`` returns NaN in some far lower tails (e.g. ``nctdtr(2081.86, 7.94, -3.49)``, true
    value below 1e-20); while solving, such a NaN opposite-tail term of a two-sided power is
    taken as 0 (``t_power_nan_safe``). No fixture power value is such a NaN (asserted).
  - ``power_t`` also carries ``power_mpmath``: the same power with the noncentral t tails at 60
    digits (``nct_sf``/``nct_cdf`` replaced by ``nct_series``), because scipy's ``nctdtr`` loses
    relative accuracy in the far tail opposite to the noncentrality (e.g. 5e-7 relative at
    nctdtr(198, 2.83, -3.34) = 5.97e-10), which is what a one-sided power with the effect
    pointing the wrong way is made of.
  - ``noncentral_t``: ``scipy.special.nctdtr`` (what statsmodels uses) and the 60-digit mpmath
    Poisson-mixture series (``nct_series``; the same values at 100 digits with a 1e-120 cut-off)
    for cdf and sf, cross-checked for df >= 1 against 40-digit integrals
    cdf = int f_chi2(v) Phi(t sqrt(v/df) - nc) dv, a sanity check of the formula only (asserted
    to 1e-6 and the worst difference printed): mpmath's quadrature of the far-out, narrow peaks
    of some cases converges to 1e-9 or so only (e.g. df=10, nc=22, t=3), where the series gives
    the same 20 digits at 60 and at 100 digits of working precision (checked by hand).
  - ``combine_pvalues``: scipy ``combine_pvalues(p, method, weights)``.
  - ``random_effects``: statsmodels ``combine_effects(eff, var, method_re, alpha)`` with
    'chi2' (DerSimonian-Laird) and 'iterated' (Paule-Mandel). statsmodels' Paule-Mandel fit
    (``_fit_tau_iterative``) stops at |Q - (k - 1)| < atol = 1e-5, and resets tau2 to 0 whenever a
    Newton step overshoots (Q < k - 1), which happens on some inputs (e.g. the notes' data: it
    returns 0 where the root is 4.25e-5); so the reference tau2 is the root of the PM equation
    found here (``pm_root``, brentq to full precision) and everything else comes from
    ``combine_effects(..., method_re='iterated', tau2_start=tau2, maxiter=0)``, which uses that
    tau2 unchanged; statsmodels' default fit is recorded as ``statsmodels_default_tau2``. Estimate,
    se, normal CI (``conf_int(use_t=False)``), tau2, q, i2, the heterogeneity p-value and the
    fixed-effect estimate. Where Q < k - 1 statsmodels' DL tau2 and i2 are negative; those
    cases are written with the conventional truncation (tau2 = 0, i2 = 0, the random-effects
    estimate equal to statsmodels' fixed-effect one) and flagged ``"truncated": true``.
"""

import importlib
import importlib.metadata
import json
import math
import os
import subprocess
import sys


def ensure(module, requirement):
    """Imports module, pip-installing requirement into the running environment when it is missing;
    the installed numpy is pinned so that installing never upgrades it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        pins = []
        try:
            pins = ["numpy==" + importlib.metadata.version("numpy")]
        except importlib.metadata.PackageNotFoundError:
            pass
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", requirement] + pins)
        importlib.invalidate_caches()
        return importlib.import_module(module)


ensure("scipy", "scipy")
ensure("statsmodels", "statsmodels")
ensure("mpmath", "mpmath")

import mpmath as mp  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import statsmodels  # noqa: E402
from scipy import optimize, special, stats  # noqa: E402
from scipy._lib._array_api import array_namespace  # noqa: E402
from scipy.stats import _resampling  # noqa: E402
from statsmodels.stats import meta_analysis, power as smpower, proportion  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "stats")
ALTERNATIVES = ["two-sided", "greater", "less"]
SM_ALTERNATIVE = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}


def d(x):
    """A double as a 17-significant-digit string."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return "%.17g" % x


def ds(xs):
    return [d(x) for x in xs]


def sample(seed, n, loc=0.0, scale=1.0, decimals=3, kind="normal"):
    rng = np.random.default_rng(seed)
    if kind == "normal":
        x = rng.normal(loc, scale, n)
    elif kind == "exponential":
        x = loc + rng.exponential(scale, n)
    elif kind == "integers":
        x = rng.integers(int(loc), int(loc + scale) + 1, n).astype(float)
    else:
        raise ValueError(kind)
    return [float(v) for v in np.round(x, decimals)]


# The notes' continuous example data are replaced by seeded samples of the same sizes.
A12 = sample(101, 12, 7.3, 1.0, 2)
B10 = sample(102, 10, 5.7, 0.8, 2)


# ---------------------------------------------------------------------------------------------
# hypothesis_tests.json


def binom_cases():
    cases = []
    base = [(41, 200, 0.1), (18, 200, 0.1), (0, 10, 0.3), (10, 10, 0.3), (5, 20, 0.5), (15, 20, 0.5),
            (10, 20, 0.5), (3, 15, 0.1), (7, 50, 0.1), (5100, 10000, 0.5), (4900, 10000, 0.5),
            (5, 1000, 0.001), (0, 1000, 0.001), (1, 1, 0.5), (0, 1, 0.5), (12, 37, 0.25),
            (30, 37, 0.25), (2, 500, 0.05), (60, 500, 0.05), (999, 1000, 0.99), (1, 3, 0.0),
            (0, 3, 0.0), (3, 3, 1.0), (2, 3, 1.0), (50, 100, 0.5), (17, 100, 0.2)]
    levels = [0.95, 0.9, 0.99]
    for i, (k, n, p) in enumerate(base):
        for alt in ALTERNATIVES:
            level = levels[i % 3]
            res = stats.binomtest(k, n, p, alternative=alt)
            ci = res.proportion_ci(level, method="exact")
            lo, hi = cp_limits(k, n, level, alt)
            assert abs(lo - ci.low) < 1e-9 and abs(hi - ci.high) < 1e-9, (k, n, alt, lo, ci.low, hi, ci.high)
            cases.append({"k": k, "n": n, "p": d(p), "alternative": alt, "level": d(level),
                          "statistic": d(res.statistic), "pvalue": d(res.pvalue),
                          "ci": [d(lo), d(hi)], "scipy_ci": [d(ci.low), d(ci.high)]})
    return cases


def cp_limits(k, n, level, alt):
    alpha = (1 - level) / 2 if alt == "two-sided" else 1 - level
    lo = 0.0 if (k == 0 or alt == "less") else stats.beta.ppf(alpha, k, n - k + 1)
    hi = 1.0 if (k == n or alt == "greater") else stats.beta.isf(alpha, k + 1, n - k)
    return float(lo), float(hi)


def fisher_cases():
    tables = [[[41, 159], [18, 182]], [[22, 0], [0, 102]], [[8, 2], [1, 5]], [[0, 5], [5, 0]],
              [[1, 0], [0, 1]], [[0, 0], [3, 4]], [[3, 0], [4, 0]], [[5, 5], [5, 5]], [[3, 7], [7, 3]],
              [[10, 10], [12, 8]], [[500, 480], [470, 510]], [[1000, 2], [3, 1000]], [[2, 3000], [5, 3100]],
              [[1, 9], [11, 3]], [[0, 10], [10, 10]], [[7, 0], [3, 6]], [[20, 30], [30, 20]],
              [[4, 6], [6, 4]], [[100, 0], [0, 1]], [[1, 1], [1, 1]], [[2, 7], [8, 2]]]
    rng = np.random.default_rng(7)
    for _ in range(12):
        tables.append([[int(v) for v in rng.integers(0, 40, 2)], [int(v) for v in rng.integers(0, 40, 2)]])
    cases = []
    for t in tables:
        for alt in ALTERNATIVES:
            res = stats.fisher_exact(t, alternative=alt)
            cases.append({"table": t, "alternative": alt, "odds_ratio": d(res.statistic), "pvalue": d(res.pvalue)})
    return cases


def two_proportion_cases():
    pairs = [(41, 200, 18, 200), (18, 200, 41, 200), (0, 50, 3, 50), (50, 50, 45, 50), (5, 10, 5, 10),
             (120, 1000, 95, 1100), (1, 20, 0, 30), (333, 1000, 300, 1000), (7, 13, 2, 17), (60, 80, 20, 80),
             (2, 5000, 9, 5000), (499, 1000, 501, 1000)]
    rng = np.random.default_rng(11)
    for _ in range(10):
        n1, n2 = [int(v) for v in rng.integers(10, 400, 2)]
        pairs.append((int(rng.integers(0, n1 + 1)), n1, int(rng.integers(0, n2 + 1)), n2))
    cases = []
    for k1, n1, k2, n2 in pairs:
        for alt in ALTERNATIVES:
            z, p = proportion.proportions_ztest([k1, k2], [n1, n2], alternative=SM_ALTERNATIVE[alt])
            cases.append({"k1": k1, "n1": n1, "k2": k2, "n2": n2, "alternative": alt, "z": d(z), "pvalue": d(p)})
    return cases


def chi2_cases():
    tables = [[[41, 159], [18, 182]], [[10, 10], [10, 11]], [[10, 10], [10, 10]], [[3, 7], [7, 3]],
              [[100, 200, 300], [150, 150, 300]], [[5, 0, 3], [2, 4, 6], [1, 1, 9]],
              [[12.5, 7.25], [3.5, 9.0]], [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [2, 2, 2, 2, 2], [9, 0, 1, 0, 3]],
              [[1, 2, 3]], [[4], [5], [6]], [[1000, 1], [1, 1000]], [[2, 3], [4, 1]], [[30, 10], [10, 30]],
              [[0, 5], [5, 0]], [[15, 25], [35, 25]]]
    rng = np.random.default_rng(13)
    for r, c in [(2, 2), (2, 3), (3, 4), (4, 4), (5, 3), (2, 6)]:
        tables.append([[int(v) for v in row] for row in rng.integers(1, 60, (r, c))])
    cases = []
    for t in tables:
        for correction in (True, False):
            res = stats.chi2_contingency(t, correction=correction)
            cases.append({"table": [ds(row) for row in t], "correction": correction, "statistic": d(res.statistic),
                          "pvalue": d(res.pvalue), "dof": int(res.dof),
                          "expected": [ds(row) for row in np.atleast_2d(res.expected_freq)]})
    return cases


def two_samples():
    """(label, x, y) pairs shared by the two-sample tests."""
    pairs = [("notes-like a12 b10", A12, B10),
             ("equal n normal", sample(201, 15), sample(202, 15, 0.4)),
             ("unequal var", sample(203, 8, 0, 1), sample(204, 25, 0.5, 3)),
             ("tiny", [1.5, 2.5, 3.0], [0.5, 1.0]),
             ("null-ish", sample(205, 30, 10, 2), sample(206, 28, 10, 2)),
             ("large", sample(207, 120, 0, 1), sample(208, 90, 0.1, 1.2)),
             ("scores with ties", sample(209, 14, 1, 6, 0, "integers"), sample(210, 11, 2, 6, 0, "integers")),
             ("exponential", sample(211, 20, 0, 1, 3, "exponential"), sample(212, 17, 0, 2, 3, "exponential")),
             ("small exact", sample(213, 5), sample(214, 7, 1.0)),
             ("small exact 2", sample(215, 8), sample(216, 6, -0.5)),
             ("separated", [10.0, 11.0, 12.0, 13.0], [1.0, 2.0, 3.0, 4.0, 5.0]),
             ("one large", sample(217, 4), sample(218, 40, 0.3)),
             ("ties small", [1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 4.0, 5.0])]
    return pairs


def ttest_cases():
    cases = []
    for label, x, y in two_samples():
        for equal_var in (False, True):
            for alt in ALTERNATIVES:
                res = stats.ttest_ind(x, y, equal_var=equal_var, alternative=alt)
                cases.append({"label": label, "equal_var": equal_var, "alternative": alt,
                              "t": d(res.statistic), "df": d(res.df), "pvalue": d(res.pvalue)})
    return cases


def mann_whitney_extra():
    return [("exact forced mid", sample(301, 12), sample(302, 14, 0.7)),
            ("exact forced ties", [1.0, 2.0, 2.0, 3.0, 5.0], [2.0, 4.0, 4.0, 6.0]),
            ("all tied", [3.0, 3.0, 3.0], [3.0, 3.0])]


def shared_samples():
    """The two-sample data sets by label (the t-test and Mann-Whitney cases refer to them)."""
    return {label: {"x": ds(x), "y": ds(y)} for label, x, y in two_samples() + mann_whitney_extra()}


def mwu_method(x, y, method):
    if method != "auto":
        return method
    ties = len(np.unique(np.concatenate([x, y]))) < len(x) + len(y)
    if len(x) > 8 and len(y) > 8:
        return "asymptotic"
    return "asymptotic" if ties else "exact"


def mann_whitney_cases():
    cases = []
    for label, x, y in two_samples() + mann_whitney_extra():
        for method in ("auto", "exact", "asymptotic"):
            for continuity in (True, False):
                if method == "exact" and not continuity:
                    continue
                if label == "all tied" and method != "asymptotic":
                    continue
                if label == "all tied" and not continuity:
                    continue  # scipy gives NaN; the Swift port documents p = 1
                if method == "exact" and len(x) * len(y) > 2000:
                    continue
                for alt in ALTERNATIVES:
                    res = stats.mannwhitneyu(x, y, use_continuity=continuity, alternative=alt, method=method)
                    cases.append({"label": label, "method": method,
                                  "method_used": mwu_method(np.array(x), np.array(y), method),
                                  "use_continuity": continuity, "alternative": alt, "u": d(res.statistic),
                                  "pvalue": d(res.pvalue)})
    return cases


def mean_difference(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def permutation_exact_cases():
    pairs = [("3+3", [1.0, 2.0, 4.0], [3.0, 5.0, 6.0]),
             ("5+9 normal", sample(401, 5, 0.5), sample(402, 9)),
             ("7+7 scores", sample(403, 7, 1, 5, 0, "integers"), sample(404, 7, 2, 5, 0, "integers")),
             ("6+8 normal", sample(405, 6, 1.0), sample(406, 8)),
             ("10+4", sample(407, 10), sample(408, 4, -1.0)),
             ("4+4 ties", [1.0, 1.0, 2.0, 2.0], [2.0, 2.0, 3.0, 3.0]),
             ("2+2", [5.0, 7.0], [6.0, 1.0]),
             ("6+7 separated", [10.0, 11, 12, 13, 14, 15], [1.0, 2, 3, 4, 5, 6, 7]),
             ("5+5 identical", [2.0, 2, 2, 2, 2], [2.0, 2, 2, 2, 2]),
             ("8+5 exponential", sample(409, 8, 0, 1, 3, "exponential"), sample(410, 5, 0, 1, 3, "exponential"))]
    cases = []
    for label, x, y in pairs:
        assert math.comb(len(x) + len(y), len(x)) <= 9999
        for alt in ALTERNATIVES:
            res = stats.permutation_test((x, y), mean_difference, permutation_type="independent",
                                         n_resamples=9999, alternative=alt, vectorized=True)
            cases.append({"label": label, "x": ds(x), "y": ds(y), "alternative": alt,
                          "statistic": d(res.statistic), "pvalue": d(res.pvalue),
                          "permutations": int(math.comb(len(x) + len(y), len(x)))})
    return cases


def permutation_random_cases():
    pairs = [("notes-like a12 b10", A12, B10),
             ("null 11+11", sample(501, 11), sample(502, 11)),
             ("moderate 10+10", sample(503, 10, 0.6), sample(504, 10))]
    cases = []
    for label, x, y in pairs:
        for alt in ALTERNATIVES:
            exact = stats.permutation_test((x, y), mean_difference, permutation_type="independent",
                                           n_resamples=np.inf, alternative=alt, vectorized=True, batch=200000)
            rand = stats.permutation_test((x, y), mean_difference, permutation_type="independent",
                                          n_resamples=9999, alternative=alt, vectorized=True, rng=12345)
            cases.append({"label": label, "x": ds(x), "y": ds(y), "alternative": alt,
                          "statistic": d(exact.statistic), "exact_pvalue": d(exact.pvalue),
                          "scipy_random_pvalue": d(rand.pvalue),
                          "splits": int(math.comb(len(x) + len(y), len(x)))})
    return cases


def delong(pos, neg, level):
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
    auc = psi.mean()
    v10 = psi.mean(axis=1)
    v01 = psi.mean(axis=0)
    var = np.var(v10, ddof=1) / len(pos) + np.var(v01, ddof=1) / len(neg)
    se = math.sqrt(var)
    z = stats.norm.isf((1 - level) / 2)
    return auc, se, max(0.0, auc - z * se), min(1.0, auc + z * se)


def auc_cases():
    pairs = [("separated-ish", sample(601, 30, 1.0), sample(602, 40)),
             ("scores with ties", sample(603, 25, 2, 5, 0, "integers"), sample(604, 35, 1, 5, 0, "integers")),
             ("perfect", [5.0, 6.0, 7.0], [1.0, 2.0, 3.0, 4.0]),
             ("inverse", [1.0, 2.0, 2.5], [3.0, 4.0, 5.0]),
             ("small", [0.9, 0.8, 0.35, 0.6], [0.7, 0.2, 0.3, 0.1, 0.4]),
             ("null", sample(605, 50), sample(606, 60)),
             ("notes-like", A12, B10),
             ("large", sample(607, 200, 0.3), sample(608, 150)),
             ("probabilities", [float(v) for v in np.round(np.random.default_rng(609).beta(3, 2, 45), 2)],
              [float(v) for v in np.round(np.random.default_rng(610).beta(2, 3, 55), 2)]),
             ("two each", [1.0, 3.0], [2.0, 0.5]),
             ("all tied", [1.0, 1.0, 1.0], [1.0, 1.0]),
             ("binary scores", [1.0, 1, 1, 0, 1, 0, 1, 1], [0.0, 0, 1, 0, 0, 1, 0, 0, 0])]
    for i in range(12):
        n1, n0 = [int(v) for v in np.random.default_rng(620 + i).integers(3, 80, 2)]
        shift = [0.0, 0.3, 0.8, 1.5][i % 4]
        decimals = [3, 1, 0][i % 3]
        pairs.append(("random %d" % i, sample(640 + i, n1, shift, 1.0, decimals), sample(660 + i, n0, 0.0, 1.0, decimals)))
    cases = []
    for i, (label, pos, neg) in enumerate(pairs):
        level = [0.95, 0.9, 0.99][i % 3]
        a, se, lo, hi = delong(pos, neg, level)
        mw = stats.mannwhitneyu(pos, neg, alternative="two-sided", method="asymptotic")
        assert abs(mw.statistic / (len(pos) * len(neg)) - a) < 1e-14
        cases.append({"label": label, "positive": ds(pos), "negative": ds(neg), "level": d(level),
                      "auc": d(a), "se": d(se), "ci": [d(lo), d(hi)], "pvalue": d(mw.pvalue)})
    return cases


# ---------------------------------------------------------------------------------------------
# intervals.json


PROPORTIONS = [(41, 200), (18, 200), (0, 10), (10, 10), (1, 10), (9, 10), (0, 1), (1, 1), (5, 1000), (500, 1000),
               (1, 100000), (99999, 100000), (3, 7), (13, 20), (250, 251), (1, 2), (37, 90), (2, 30), (28, 30),
               (60, 61), (123, 4567)]


def proportion_interval_cases(method):
    cases = []
    for i, (k, n) in enumerate(PROPORTIONS):
        for level in ([0.95, 0.9] if i % 2 == 0 else [0.99, 0.8]):
            lo, hi = proportion.proportion_confint(k, n, alpha=1 - level, method=method)
            cases.append({"k": k, "n": n, "level": d(level), "ci": [d(lo), d(hi)]})
    return cases


def diff_proportions_cases():
    pairs = [(41, 200, 18, 200), (18, 200, 41, 200), (0, 20, 0, 20), (20, 20, 0, 20), (0, 15, 3, 12),
             (5, 10, 5, 10), (120, 1000, 95, 1100), (1, 2, 1, 3), (7, 13, 2, 17), (99, 100, 1, 100),
             (333, 1000, 300, 1000), (0, 1, 1, 1)]
    rng = np.random.default_rng(17)
    for _ in range(10):
        n1, n2 = [int(v) for v in rng.integers(5, 300, 2)]
        pairs.append((int(rng.integers(0, n1 + 1)), n1, int(rng.integers(0, n2 + 1)), n2))
    cases = []
    for i, (k1, n1, k2, n2) in enumerate(pairs):
        level = [0.95, 0.9, 0.99][i % 3]
        for method, name in (("newcomb", "newcombe"), ("wald", "wald"), ("agresti-caffo", "agresti-caffo")):
            lo, hi = proportion.confint_proportions_2indep(k1, n1, k2, n2, method=method, compare="diff",
                                                          alpha=1 - level)
            cases.append({"k1": k1, "n1": n1, "k2": k2, "n2": n2, "level": d(level), "method": name,
                          "ci": [d(lo), d(hi)]})
    return cases


STATISTICS = {"mean": np.mean, "median": np.median, "std": lambda a, axis=-1: np.std(a, ddof=1, axis=axis)}


def bootstrap_fixed_cases():
    datasets = [("normal 15", sample(701, 15, 7.0, 1.0, 2)),
                ("exponential 20", sample(702, 20, 0, 2.0, 3, "exponential")),
                ("notes-like a12", A12),
                ("scores 11", sample(703, 11, 1, 6, 0, "integers"))]
    cases = []
    for i, (label, x) in enumerate(datasets):
        for name in ("mean", "median", "std"):
            func = STATISTICS[name]
            rng = np.random.default_rng(800 + 10 * i + len(name))
            idx = rng.integers(0, len(x), (199, len(x)))
            dist = func(np.asarray(x)[idx], axis=-1)
            xa = np.asarray(x)
            theta = func(xa, axis=-1)
            entry = {"label": label, "statistic": name, "x": ds(x), "distribution": ds(dist), "estimate": d(theta),
                     "intervals": []}
            for method in ("BCa", "percentile"):
                for level, alt in ((0.95, "two-sided"), (0.9, "less"), (0.8, "greater")):
                    prior = stats.bootstrap((x,), func, n_resamples=9, rng=0)
                    prior.bootstrap_distribution = dist
                    res = stats.bootstrap((x,), func, n_resamples=0, bootstrap_result=prior, method=method,
                                          confidence_level=level, alternative=alt)
                    entry["standard_error"] = d(res.standard_error)
                    case = {"method": method.lower(), "level": d(level), "alternative": alt,
                            "ci": [d(res.confidence_interval.low), d(res.confidence_interval.high)]}
                    if method == "BCa":
                        alpha = (1 - level) / 2 if alt == "two-sided" else 1 - level
                        a1, a2, a_hat = _resampling._bca_interval((xa,), func, axis=-1, alpha=alpha,
                                                                  theta_hat_b=dist, batch=None,
                                                                  xp=array_namespace(xa))
                        pct = (np.count_nonzero(dist < theta) + np.count_nonzero(dist <= theta)) / (2 * len(dist))
                        case.update({"alpha_1": d(a1), "alpha_2": d(a2), "acceleration": d(a_hat),
                                     "z0": d(special.ndtri(pct))})
                    entry["intervals"].append(case)
            cases.append(entry)
    return cases


def bootstrap_mc_cases():
    datasets = [("normal 25 mean", sample(901, 25, 7.0, 1.0, 2), "mean"),
                ("exponential 30 mean", sample(902, 30, 0, 1.0, 3, "exponential"), "mean"),
                ("exponential 40 std", sample(903, 40, 0, 1.0, 3, "exponential"), "std")]
    cases = []
    for label, x, name in datasets:
        for method in ("BCa", "percentile"):
            res = stats.bootstrap((x,), STATISTICS[name], n_resamples=99999, method=method, rng=12345)
            t_int = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
            cases.append({"label": label, "statistic": name, "x": ds(x), "method": method.lower(),
                          "level": d(0.95), "resamples": 99999,
                          "ci": [d(res.confidence_interval.low), d(res.confidence_interval.high)],
                          "standard_error": d(res.standard_error), "t_interval": ds(t_int)})
    return cases


# ---------------------------------------------------------------------------------------------
# power_meta.json


def effect_size_cases():
    h = []
    for p1, p2 in [(0.205, 0.09), (0.5, 0.5), (0.0, 1.0), (1.0, 0.0), (0.1, 0.2), (0.01, 0.02), (0.99, 0.5),
                   (0.3, 0.7), (0.001, 0.0), (0.65, 0.6), (0.2, 0.1), (0.45, 0.55), (0.8, 0.2), (1e-6, 2e-6),
                   (0.999999, 0.5), (0.33, 0.66), (0.05, 0.5), (0.75, 0.25), (0.123, 0.456), (0.9, 0.1)]:
        h.append({"p1": d(p1), "p2": d(p2), "h": d(proportion.proportion_effectsize(p1, p2))})
    dg = []
    rb = []
    extra = [("effect %d" % i, sample(1000 + i, 3 + 5 * i, 0.25 * i, 1.0 + 0.2 * i), sample(1100 + i, 4 + 3 * i, 0.0, 1.0))
             for i in range(8)]
    for label, x, y in two_samples() + extra:
        n1, n2 = len(x), len(y)
        if n1 >= 2 and n2 >= 2:
            sp = math.sqrt(((n1 - 1) * np.var(x, ddof=1) + (n2 - 1) * np.var(y, ddof=1)) / (n1 + n2 - 2))
            dd = (np.mean(x) - np.mean(y)) / sp
            dg.append({"label": label, "x": ds(x), "y": ds(y), "d": d(dd),
                       "g": d(dd * (1 - 3 / (4 * (n1 + n2) - 9)))})
        u = stats.mannwhitneyu(x, y).statistic
        rb.append({"label": label, "x": ds(x), "y": ds(y), "r": d(2 * u / (n1 * n2) - 1)})
    v = []
    tables = [[[41, 159], [18, 182]], [[10, 10], [10, 11]], [[100, 200, 300], [150, 150, 300]],
              [[5, 0, 3], [2, 4, 6], [1, 1, 9]], [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [2, 2, 2, 2, 2], [9, 0, 1, 0, 3]],
              [[1000, 1], [1, 1000]], [[30, 10], [10, 30]], [[0, 5], [5, 0]], [[4, 4], [4, 4]]]
    rng = np.random.default_rng(19)
    for r, c in [(2, 2), (2, 3), (3, 4), (4, 4), (5, 3), (2, 6), (3, 2), (6, 2), (3, 3), (2, 5), (4, 3)]:
        tables.append([[int(x) for x in row] for row in rng.integers(1, 60, (r, c))])
    for t in tables:
        v.append({"table": t, "v": d(stats.contingency.association(np.array(t), method="cramer"))})
    return {"cohens_h": h, "cohens_d_hedges_g": dg, "rank_biserial": rb, "cramers_v": v}


def tight_root(f, lo):
    """The root of an increasing f above lo (f(lo) < 0): the upper end is found by doubling from
    max(2 lo, 8), so that f is never evaluated far beyond the root (scipy's nctdtr misbehaves at
    very large df and nc, e.g. nctdtr(154463.3, 39.30, -1.96) is NaN)."""
    assert f(lo) < 0
    hi = max(2 * lo, 8.0)
    while f(hi) < 0:
        hi *= 2
    return optimize.brentq(f, lo, hi, xtol=1e-300, rtol=8.9e-16, maxiter=500)


def t_power_nan_safe(es, n, alpha, ratio, sm_alt):
    """statsmodels' TTestIndPower power, except that a NaN from scipy's nctdtr in the far opposite
    tail of a two-sided test (it returns NaN there, e.g. nctdtr(2081.86, 7.94, -3.49); the true
    value is below 1e-20) counts as 0, so that the root search can pass through such n."""
    value = smpower.TTestIndPower().power(es, n, alpha, ratio=ratio, alternative=sm_alt)
    if np.isnan(value) and sm_alt == "two-sided":
        df = n + n * ratio - 2
        nc = es * math.sqrt(1 / (1 / n + 1 / (n * ratio)))
        upper = smpower.nct_sf(stats.t.isf(alpha / 2, df), df, nc)
        lower = smpower.nct_cdf(stats.t.ppf(alpha / 2, df), df, nc)
        tiny = [v for v in (upper, lower) if not np.isnan(v)]
        assert len(tiny) == 1
        value = tiny[0]
    return value


def power_cases():
    normal, t, nsize, tsize = [], [], [], []
    npow, tpow = smpower.NormalIndPower(), smpower.TTestIndPower()
    for p1, p2, n, alpha, ratio, alt in [
            (0.205, 0.09, 200, 0.05, 1, "two-sided"), (0.2, 0.1, 100, 0.05, 1, "two-sided"),
            (0.2, 0.1, 100, 0.05, 1, "greater"), (0.1, 0.2, 100, 0.05, 1, "less"),
            (0.1, 0.2, 100, 0.05, 1, "greater"), (0.5, 0.55, 1000, 0.001, 1, "two-sided"),
            (0.5, 0.45, 50, 0.01, 2, "two-sided"), (0.02, 0.01, 5000, 0.005, 1, "two-sided"),
            (0.3, 0.2, 3, 0.05, 1, "two-sided"), (0.3, 0.2, 250.5, 0.1, 0.5, "greater"),
            (0.6, 0.4, 80, 5e-4, 1, "two-sided"), (0.9, 0.5, 10, 0.05, 3, "two-sided"),
            (0.25, 0.35, 400, 0.05, 1, "less"), (0.01, 0.03, 2000, 1e-4, 1.5, "two-sided"),
            (0.5, 0.5001, 100, 0.05, 1, "two-sided"), (0.7, 0.3, 5, 0.2, 1, "two-sided"),
            (0.15, 0.1, 700, 0.05, 1, "two-sided"), (0.4, 0.6, 60, 0.05, 1, "two-sided"),
            (0.4, 0.6, 60, 0.05, 1, "less"), (0.05, 0.1, 435, 0.025, 0.8, "less")]:
        h = proportion.proportion_effectsize(p1, p2)
        normal.append({"p1": d(p1), "p2": d(p2), "n": d(n), "alpha": d(alpha), "ratio": d(ratio),
                       "alternative": alt, "power": d(npow.power(h, n, alpha, ratio=ratio,
                                                                 alternative=SM_ALTERNATIVE[alt]))})
    for es, n, alpha, ratio, alt in [
            (0.5, 64, 0.05, 1, "two-sided"), (0.5, 20, 0.05, 1, "two-sided"), (0.5, 20, 0.05, 1, "greater"),
            (-0.5, 20, 0.05, 1, "less"), (-0.5, 20, 0.05, 1, "two-sided"), (0.2, 400, 0.01, 1, "two-sided"),
            (0.8, 10, 0.05, 2, "two-sided"), (1.5, 4, 0.05, 1, "two-sided"), (0.3, 150, 0.001, 0.5, "two-sided"),
            (0.1, 1000, 0.05, 1, "greater"), (2.0, 3, 0.1, 1, "two-sided"), (0.05, 50, 0.05, 1, "two-sided"),
            (0.6, 30.5, 0.005, 1.3, "two-sided"), (1.0, 2, 0.05, 1, "two-sided"), (0.4, 100, 5e-4, 1, "less"),
            (-0.4, 100, 5e-4, 1, "less"), (0.35, 200, 0.05, 1, "two-sided"), (3.0, 5, 0.01, 1, "two-sided"),
            (0.25, 60, 0.2, 1, "greater"), (0.7, 45, 1e-5, 1, "two-sided")]:
        value = tpow.power(es, n, alpha, ratio=ratio, alternative=SM_ALTERNATIVE[alt])
        assert not np.isnan(value), (es, n, alpha, ratio, alt)
        t.append({"effect_size": d(es), "n": d(n), "alpha": d(alpha), "ratio": d(ratio), "alternative": alt,
                  "power": d(value), "power_mpmath": d(t_power_exact(es, n, alpha, ratio, alt))})
    for p1, p2, pw, alpha, ratio, alt in [
            (0.6, 0.4, 0.8, 0.05, 1, "two-sided"), (0.205, 0.09, 0.8, 0.05, 1, "two-sided"),
            (0.2, 0.1, 0.9, 0.05, 1, "two-sided"), (0.2, 0.1, 0.8, 0.05, 1, "greater"),
            (0.1, 0.2, 0.8, 0.05, 1, "less"), (0.1, 0.2, 0.8, 0.005, 1, "two-sided"),
            (0.01, 0.02, 0.8, 5e-4, 1, "two-sided"), (0.5, 0.45, 0.95, 0.01, 2, "two-sided"),
            (0.3, 0.2, 0.5, 0.1, 0.5, "greater"), (0.9, 0.5, 0.99, 0.001, 1, "two-sided"),
            (0.5, 0.7, 0.8, 0.05, 1, "two-sided"), (0.02, 0.01, 0.7, 0.01, 3, "two-sided"),
            (0.15, 0.1, 0.85, 0.025, 1, "greater"), (0.4, 0.6, 0.6, 0.05, 1, "less"),
            (0.35, 0.25, 0.8, 0.2, 1, "two-sided"), (0.8, 0.2, 0.8, 0.05, 1, "two-sided"),
            (0.05, 0.5, 0.999, 1e-4, 1, "two-sided"), (0.5, 0.51, 0.8, 0.05, 1, "two-sided"),
            (0.33, 0.25, 0.9, 0.01, 0.7, "two-sided"), (0.12, 0.08, 0.8, 0.05, 1, "greater")]:
        h = proportion.proportion_effectsize(p1, p2)
        sm_alt = SM_ALTERNATIVE[alt]
        f = lambda n: npow.power(h, n, alpha, ratio=ratio, alternative=sm_alt) - pw  # noqa: E731
        root = tight_root(f, 1e-6)
        solved = npow.solve_power(effect_size=h, nobs1=None, alpha=alpha, power=pw, ratio=ratio, alternative=sm_alt)
        nsize.append({"p1": d(p1), "p2": d(p2), "power": d(pw), "alpha": d(alpha), "ratio": d(ratio),
                      "alternative": alt, "n": d(root), "statsmodels_solve_power": d(solved)})
    for es, pw, alpha, ratio, alt in [
            (0.5, 0.8, 0.05, 1, "two-sided"), (0.2, 0.8, 0.05, 1, "two-sided"), (0.8, 0.9, 0.05, 1, "two-sided"),
            (0.5, 0.8, 0.05, 1, "greater"), (-0.5, 0.8, 0.05, 1, "less"), (-0.5, 0.8, 0.05, 1, "two-sided"),
            (0.3, 0.95, 0.001, 1, "two-sided"), (1.2, 0.8, 0.05, 1, "two-sided"), (0.5, 0.8, 0.05, 2, "two-sided"),
            (0.4, 0.7, 0.01, 0.5, "greater"), (2.5, 0.8, 0.05, 1, "two-sided"), (0.1, 0.8, 0.05, 1, "two-sided"),
            (0.6, 0.99, 1e-4, 1, "two-sided"), (0.25, 0.5, 0.1, 1, "less" if False else "greater"),
            (0.45, 0.85, 0.005, 1.5, "two-sided"), (1.0, 0.8, 5e-4, 1, "two-sided"), (0.7, 0.6, 0.2, 1, "two-sided"),
            (0.35, 0.9, 0.05, 0.8, "two-sided"), (-0.9, 0.8, 0.01, 1, "less"), (0.15, 0.8, 0.025, 1, "greater")]:
        sm_alt = SM_ALTERNATIVE[alt]
        f = lambda n: t_power_nan_safe(es, n, alpha, ratio, sm_alt) - pw  # noqa: E731
        lo = 2 / (1 + ratio) + 1e-3
        while f(lo) > 0:
            lo = 2 / (1 + ratio) + (lo - 2 / (1 + ratio)) / 2
        root = tight_root(f, lo)
        solved = tpow.solve_power(effect_size=es, nobs1=None, alpha=alpha, power=pw, ratio=ratio, alternative=sm_alt)
        tsize.append({"effect_size": d(es), "power": d(pw), "alpha": d(alpha), "ratio": d(ratio), "alternative": alt,
                      "n": d(root), "statsmodels_solve_power": d(solved)})
    return {"power_normal": normal, "power_t": t, "sample_size_normal": nsize, "sample_size_t": tsize}


def nct_series(t, df, nc, upper, dps=60):
    """P(T <= t) (or P(T > t)) of the noncentral t at 60 digits by the Poisson-mixture series
    (Guenther 1978): for t >= 0, Phi(-nc) + 1/2 sum_j [p_j I_x(j + 1/2, df/2) + q_j I_x(j + 1, df/2)],
    x = t^2/(df + t^2); negative t by P(T <= t; nc) = P(T > -t; -nc). The terms are at most 1, so
    the cancellation of a tail formed as a complement (or of alternating terms, nc < 0) costs at
    most 10^-dps absolute: a result below 1e-35 is recomputed at 340 digits, enough for every
    double."""
    if dps == 60:
        value = nct_series(t, df, nc, upper, dps=61)
        if abs(value) < mp.mpf("1e-35"):
            value = nct_series(t, df, nc, upper, dps=340)
        mp.mp.dps = 60
        return +value
    mp.mp.dps = dps
    t, df, nc = mp.mpf(t), mp.mpf(df), mp.mpf(nc)
    if t < 0:
        t, nc, upper = -t, -nc, not upper
    x = t * t / (df + t * t)
    lam = nc * nc / 2
    total = mp.mpf(0)
    j = 0
    while True:
        if lam > 0:
            p = mp.exp(-lam + j * mp.log(lam) - mp.loggamma(j + 1))
            q = nc * mp.exp(-lam + j * mp.log(lam) - mp.loggamma(j + mp.mpf(1.5))) / mp.sqrt(2)
        else:
            p, q = (mp.mpf(1) if j == 0 else mp.mpf(0)), mp.mpf(0)
        total += p * mp.betainc(j + mp.mpf(0.5), df / 2, 0, x, regularized=True)
        total += q * mp.betainc(j + 1, df / 2, 0, x, regularized=True)
        if j > lam and abs(p) + abs(q) < mp.mpf(10) ** -(dps + 10):
            break
        j += 1
    cdf = mp.ncdf(-nc) + total / 2
    return 1 - cdf if upper else cdf


def nct_integral(t, df, nc, upper):
    """The same probability as int f_chi2(v) Phi(t sqrt(v/df) - nc) dv at 40 digits (a cross-check
    of the series; inaccurate for df < 1, where the chi-squared density is singular at 0). The
    integrand can be a narrow peak far out in v, so the quadrature is split around its maximum
    (found on a log grid) at peak +- w 2^i, w from the second difference of its logarithm, and
    geometrically towards 0."""
    mp.mp.dps = 40
    t, df, nc = mp.mpf(t), mp.mpf(df), mp.mpf(nc)
    k = df / 2

    def log_integrand(v):
        z = t * mp.sqrt(v / df) - nc
        tail = mp.ncdf(-z) if upper else mp.ncdf(z)
        return (k - 1) * mp.log(v) - v / 2 - k * mp.log(2) - mp.loggamma(k) + mp.log(tail)

    grid = [mp.mpf(10) ** (e / mp.mpf(20)) for e in range(-80, 121)]
    peak = max(grid, key=log_integrand)
    h = peak * mp.mpf("1e-4")
    curvature = -(log_integrand(peak + h) - 2 * log_integrand(peak) + log_integrand(peak - h)) / (h * h)
    w = 1 / mp.sqrt(curvature) if curvature > 0 else peak
    points = {mp.mpf(0), peak}
    for i in range(12):
        points.add(peak + w * 2 ** i)
        if peak - w * 2 ** i > 0:
            points.add(peak - w * 2 ** i)
    for i in range(1, 40):
        points.add(min(points - {mp.mpf(0)}) / 2)
    points = sorted(points) + [mp.inf]
    return mp.quad(lambda v: mp.exp(log_integrand(v)), points)


def noncentral_t_cases():
    cases = []
    grid = [(2.0, 1.0, 0.5), (2.0, 1.0, 3.0), (10.0, 2.8, 1.96), (10.0, 2.8, -2.2), (30.0, 0.0, 1.0),
            (62.0, 2.8, 1.9989), (62.0, 2.8, -1.9989), (5.0, -1.5, 0.3), (5.0, -1.5, -4.0), (1.0, 0.5, 10.0),
            (100.0, 8.0, 1.98), (100.0, 8.0, 12.0), (3.5, 4.0, 0.1), (20.0, 1e-3, 2.0), (8.0, 6.0, 20.0),
            (250.0, 3.3, 3.3), (0.5, 1.0, 2.0), (15.0, -3.0, -1.0), (40.0, 10.0, 9.0), (6.0, 2.0, 0.0),
            (198.0, 2.8284271247461903, -3.3400), (198.0, -2.8284271247461903, 3.34), (1.0, 3.0, -0.5),
            (1.0, -2.0, 4.0), (12.0, 5.0, -1.0), (2081.86, 7.94, -3.49), (50.0, 0.3, -2.0), (4.0, -0.7, 0.2),
            (1.5, 2.5, -6.0), (120.0, 4.0, -0.5), (50.0, 25.0, 24.0), (50.0, 25.0, 20.0), (200.0, -30.0, -29.0),
            (10.0, 22.0, 3.0), (3.0, 21.0, 40.0), (500.0, 40.0, -1.0), (1.0, 25.0, 30.0), (80.0, -24.0, 2.0)]
    worst = 0
    for df, nc, t in grid:
        cdf, sf = nct_series(t, df, nc, False), nct_series(t, df, nc, True)
        if df >= 1:
            for ref, upper in ((cdf, False), (sf, True)):
                check = nct_integral(t, df, nc, upper)
                if abs(ref) < 1e-300 and abs(check) < 1e-300:
                    continue  # both below the double range
                worst = max(worst, abs(check - ref) / abs(ref))
                assert abs(check - ref) <= 1e-6 * abs(ref), (df, nc, t, upper, ref, check)
        cases.append({"df": d(df), "nc": d(nc), "t": d(t), "scipy_cdf": d(special.nctdtr(df, nc, t)),
                      "cdf": d(cdf), "sf": d(sf)})
    print("noncentral t: series vs quadrature, worst relative difference %.2g" % worst)
    return cases


def t_power_exact(es, n, alpha, ratio, alt):
    """TTestIndPower's power with the noncentral t tails from ``nct_series`` (60 digits) instead of
    scipy's nctdtr, and the same (double) critical values."""
    df = n + n * ratio - 2
    nc = es * math.sqrt(1 / (1 / n + 1 / (n * ratio)))
    half = alpha / 2 if alt == "two-sided" else alpha
    value = mp.mpf(0)
    if alt in ("two-sided", "greater"):
        value += nct_series(stats.t.isf(half, df), df, nc, True)
    if alt in ("two-sided", "less"):
        value += nct_series(stats.t.ppf(half, df), df, nc, False)
    return value


def combine_cases():
    cases = []
    sets = [([.01, .04, .2, .03, .5], None), ([.01, .04, .2, .03, .5], [50, 80, 30, 120, 40]), ([0.5], None),
            ([1e-10, 0.9], None), ([0.99, 0.98, 0.97], None), ([1e-300, 0.5], None), ([0.05] * 20, None),
            ([0.2, 0.3], [1, 3]), ([0.001, 0.5, 0.999], [2, 1, 1]), ([0.5, 0.5, 0.5, 0.5], None),
            ([1e-20, 1e-15, 0.3], None), ([0.7, 0.001], [0.5, 10]), ([0.3], [2]), ([0.04, 0.06], None),
            ([1 - 1e-10, 0.5], None), ([0.123, 0.456, 0.789, 0.012], [1.5, 2.5, 0.5, 3.5])]
    rng = np.random.default_rng(23)
    for _ in range(6):
        m = int(rng.integers(2, 30))
        sets.append(([float(v) for v in np.round(rng.uniform(0.0001, 1, m), 6)], None))
    for p, w in sets:
        for method in ("fisher", "stouffer"):
            if method == "fisher" and w is not None:
                continue
            res = stats.combine_pvalues(p, method=method, weights=w)
            case = {"p": ds(p), "method": method, "statistic": d(res.statistic), "pvalue": d(res.pvalue)}
            if w is not None:
                case["weights"] = ds(w)
            cases.append(case)
    return cases


def random_effects_cases():
    sets = [([.30, .12, .45, .22, .05], [.010, .020, .030, .015, .025]),
            ([0.1, 0.2], [0.01, 0.02]), ([0.5, -0.3, 0.8, 0.1], [0.04, 0.05, 0.03, 0.06]),
            ([0.2, 0.21, 0.19, 0.2], [0.05, 0.05, 0.05, 0.05]), ([1.2, 0.3, -0.5, 2.0, 0.9, 0.1], [0.2, 0.1, 0.3, 0.5, 0.15, 0.25]),
            ([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]), ([3.1, 2.9, 3.5, 2.2, 3.0, 3.3, 2.8], [0.1, 0.12, 0.2, 0.3, 0.08, 0.15, 0.11]),
            ([-0.2, 0.4], [0.001, 0.002])]
    rng = np.random.default_rng(29)
    for _ in range(12):
        k = int(rng.integers(3, 15))
        v = np.round(rng.uniform(0.01, 0.2, k), 4)
        y = np.round(rng.normal(0.3, np.sqrt(v + rng.uniform(0, 0.1)), k), 4)
        sets.append(([float(a) for a in y], [float(a) for a in v]))
    cases = []
    for i, (y, v) in enumerate(sets):
        level = [0.95, 0.9, 0.99][i % 3]
        for method, sm in (("dl", "chi2"), ("pm", "iterated")):
            kw = {}
            extra = {}
            if sm == "iterated":
                tau2 = pm_root(np.array(y), np.array(v))
                kw = {"tau2_start": tau2, "maxiter": 0}
                default = meta_analysis.combine_effects(np.array(y), np.array(v), method_re=sm, alpha=1 - level)
                extra = {"statsmodels_default_tau2": d(default.tau2)}
            r = meta_analysis.combine_effects(np.array(y), np.array(v), method_re=sm, alpha=1 - level, **kw)
            ci = r.conf_int(alpha=1 - level, use_t=False)
            truncated = bool(r.q < len(y) - 1)
            if truncated:
                est, se, ci_re, tau2, i2 = r.mean_effect_fe, r.sd_eff_w_fe, ci[0], 0.0, 0.0
            else:
                est, se, ci_re, tau2, i2 = r.mean_effect_re, r.sd_eff_w_re, ci[1], r.tau2, r.i2
            cases.append({"effects": ds(y), "variances": ds(v), "method": method, "level": d(level),
                          "estimate": d(est), "se": d(se), "ci": ds(ci_re), "tau2": d(tau2), "q": d(r.q),
                          "df": len(y) - 1, "q_pvalue": d(r.test_homogeneity().pvalue), "i2": d(i2),
                          "fixed_estimate": d(r.mean_effect_fe), "fixed_se": d(r.sd_eff_w_fe),
                          "truncated": truncated, "statsmodels_tau2": d(r.tau2), "statsmodels_i2": d(r.i2), **extra})
    return cases


def pm_root(y, v):
    """The Paule-Mandel tau2: the root of Q(tau2) = sum w (y - m)^2 = k - 1 with w = 1/(v + tau2), or
    0 when Q(0) <= k - 1 (brentq to full precision)."""
    def excess(tau2):
        w = 1 / (v + tau2)
        m = (w * y).sum() / w.sum()
        return (w * (y - m) ** 2).sum() - (len(y) - 1)

    if excess(0.0) <= 0:
        return 0.0
    hi = max(((y - y.mean()) ** 2).sum() / (len(y) - 1), 1e-300)
    while excess(hi) > 0:
        hi *= 2
    return optimize.brentq(excess, 0.0, hi, xtol=1e-300, rtol=8.9e-16, maxiter=500)


# ---------------------------------------------------------------------------------------------


def header():
    return {"generator": "Scripts/dev/make_test_fixtures.py", "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__, "numpy": np.__version__, "mpmath": mp.__version__}


def write(name, payload):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(payload, f, indent=None, separators=(",", ":"))
        f.write("\n")
    counts = {k: len(v) for k, v in payload.items() if isinstance(v, list)}
    print("wrote %s (%d bytes): %s" % (os.path.relpath(path, ROOT), os.path.getsize(path), counts))


def main():
    write("hypothesis_tests.json", dict(header(), samples=shared_samples(), binom_test=binom_cases(), fisher_exact=fisher_cases(),
                                        two_proportion_z=two_proportion_cases(), chi2_contingency=chi2_cases(),
                                        ttest=ttest_cases(), mann_whitney=mann_whitney_cases(),
                                        permutation_exact=permutation_exact_cases(),
                                        permutation_random=permutation_random_cases(), auc=auc_cases()))
    write("intervals.json", dict(header(), wilson=proportion_interval_cases("wilson"),
                                 clopper_pearson=proportion_interval_cases("beta"),
                                 diff_proportions=diff_proportions_cases(), bootstrap_fixed=bootstrap_fixed_cases(),
                                 bootstrap_mc=bootstrap_mc_cases()))
    payload = dict(header(), **effect_size_cases())
    payload.update(power_cases())
    payload.update(noncentral_t=noncentral_t_cases(), combine_pvalues=combine_cases(),
                   random_effects=random_effects_cases())
    write("power_meta.json", payload)


if __name__ == "__main__":
    main()
