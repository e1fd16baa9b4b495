#!/usr/bin/env python3
"""Generates the online-FDR parity fixtures under Tests/Fixtures/stats/onlinefdr/.

Run with the dev venv (installs PyPI ``online-fdr`` and ``scipy`` into it when missing):

    /work/main/.venv-dev/bin/python Scripts/dev/make_onlinefdr_fixtures.py

The reference is the package itself (online-fdr 1.0.0, which claims parity with Bioconductor
onlineFDR); nothing here re-implements a rule. Deterministic: fixed seeds, no randomness elsewhere.

What it writes:

* ``streams.json`` - seeded p-value streams (``p``) and e-value streams (``e``): mixtures of
  uniform nulls, conservative nulls and normal-shift alternatives, with the boundary values
  0, 1, 0.05, 0.25 and 0.5 (= the lambda and tau values used) planted at fixed positions.
  Values are rounded to 12 significant digits so that their decimal form is exact.
* ``cases.json`` - one entry per (procedure, parameters, stream): the explicit parameters, the
  ``overrides`` (index -> value) planted for that case, every test level alpha_t (17 significant
  digits) and every decision as a ``"0101..."`` string. An override puts a value exactly on the
  case's own rejection boundary (p = alpha_t, or e = 1/alpha_t for e-LOND), found by testing a
  deep copy of the procedure first; overrides are applied to the stream before running it.
* ``batch.json`` - scipy ``false_discovery_control`` BH/BY adjusted p-values for a few vectors
  (ties, p = 0, p = 1, a single value, random) and online-fdr's ``bh``/``by``/``storey_bh``
  rejection counts at alpha = 0.05 (Storey with lambda = 0.5).

online-fdr has no defaults (and requires 0 < W0 < alpha), so every parameter is explicit.
"""

import copy
import importlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "stats", "onlinefdr")


def ensure(module, requirement):
    try:
        return importlib.import_module(module)
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", requirement])
        return importlib.import_module(module)


ensure("scipy", "scipy")
ensure("online_fdr", "online-fdr==1.0.0")

import numpy as np  # noqa: E402
from importlib.metadata import version  # noqa: E402
from scipy import stats  # noqa: E402
from online_fdr.p_values import Addis, Gai, Lond, LordPlusPlus, Saffron  # noqa: E402
from online_fdr.e_values import ELond  # noqa: E402
from online_fdr.core.utils.static import bh as ofdr_bh, by as ofdr_by, storey_bh  # noqa: E402

BOUNDARY_P = [0.5, 0.25, 0.0, 1.0, 0.05]


def r12(x):
    return float("%.12g" % x)


def f17(x):
    return float("%.17g" % x)


def p_stream(seed, n, segments, conservative=0.0):
    """segments: list of (length fraction, pi1, mu). Nulls are U(0,1), or with probability
    `conservative` the p-value of a N(-1, 1) statistic (stochastically larger than uniform)."""
    rng = np.random.default_rng(seed)
    out = []
    for frac, pi1, mu in segments:
        for _ in range(int(round(frac * n))):
            if rng.random() < pi1:
                p = stats.norm.sf(rng.normal(mu, 1.0))
            elif rng.random() < conservative:
                p = stats.norm.sf(rng.normal(-1.0, 1.0))
            else:
                p = rng.random()
            out.append(r12(p))
    out = out[:n]
    for k, i in enumerate(range(17, n, 41)):  # planted boundary values
        out[i] = BOUNDARY_P[k % len(BOUNDARY_P)]
    return out


def e_stream(seed, n, pi1, mu):
    """Gaussian likelihood-ratio e-values exp(mu*x - mu^2/2): x ~ N(0,1) (null) or N(mu,1)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = rng.normal(mu if rng.random() < pi1 else 0.0, 1.0)
        out.append(r12(float(np.exp(mu * x - mu * mu / 2))))
    for k, i in enumerate(range(23, n, 97)):
        out[i] = [0.0, 1.0, 20.0][k % 3]
    return out


P_STREAMS = {
    "mixA": p_stream(101, 2000, [(1.0, 0.10, 3.0)]),
    "mixB": p_stream(202, 2000, [(1.0, 0.25, 2.0)], conservative=0.5),
    "bursty": p_stream(303, 1500, [(0.15, 0.6, 4.0), (0.55, 0.02, 3.0), (0.30, 0.3, 3.5)]),
}
E_STREAMS = {
    "eA": e_stream(404, 1500, 0.15, 3.0),
    "eB": e_stream(505, 1000, 0.4, 2.5),
}


def run_case(name, make, stream_name, values, every, is_e=False):
    """Runs a fresh procedure over `values`; every `every`-th test (from index 11) is replaced by a
    value exactly on the rejection boundary of the state reached so far."""
    m = make()
    alphas, decisions, overrides = [], [], []
    for i, v in enumerate(values):
        if every and i >= 11 and (i - 11) % every == 0:
            probe = copy.deepcopy(m)
            probe.test_one(0.0 if is_e else 1.0)
            level = probe.alpha
            if is_e:
                v = probe.last_rejection_threshold
                if not np.isfinite(v):
                    continue
            else:
                v = level
            overrides.append([i, v])
        rejected = m.test_one(v)
        alphas.append(f17(m.alpha))
        decisions.append("1" if rejected else "0")
        # Overrides sit exactly on the boundary: they must be rejected.
        if overrides and overrides[-1][0] == i:
            assert rejected, (name, i, v)
    return {"name": name, "stream": stream_name, "overrides": overrides, "alpha": alphas,
            "decisions": "".join(decisions)}


def cases():
    out = []

    def add(method, params, make, streams, every=53, is_e=False):
        for s in streams:
            values = (E_STREAMS if is_e else P_STREAMS)[s]
            case = run_case(f"{method}/{s}", make, s, values, every, is_e)
            case = {"method": method, "params": params, **case}
            out.append(case)

    allp = list(P_STREAMS)
    add("saffron", {"alpha": 0.05, "w0": 0.025, "lambda": 0.5},
        lambda: Saffron(alpha=0.05, wealth=0.025, lambda_=0.5), allp)
    add("saffron", {"alpha": 0.1, "w0": 0.01, "lambda": 0.25},
        lambda: Saffron(alpha=0.1, wealth=0.01, lambda_=0.25), ["bursty"])
    add("lordpp", {"alpha": 0.05, "w0": 0.025},
        lambda: LordPlusPlus(alpha=0.05, wealth=0.025), allp)
    add("lordpp", {"alpha": 0.1, "w0": 0.005},
        lambda: LordPlusPlus(alpha=0.1, wealth=0.005), ["bursty"])
    add("addis", {"alpha": 0.05, "w0": 0.025, "lambda": 0.25, "tau": 0.5},
        lambda: Addis(alpha=0.05, wealth=0.025, lambda_=0.25, tau=0.5), allp)
    add("addis", {"alpha": 0.1, "w0": 0.05, "lambda": 0.1, "tau": 0.8},
        lambda: Addis(alpha=0.1, wealth=0.05, lambda_=0.1, tau=0.8), ["bursty"])
    for original in (True, False):
        for dependent in (False, True):
            streams = ["mixA", "bursty"] if original and not dependent else ["bursty"]
            add("lond", {"alpha": 0.05, "original": original, "dependent": dependent},
                lambda o=original, d=dependent: Lond(alpha=0.05, original=o, dependent=d), streams)
    add("gai", {"alpha": 0.05, "w0": 0.025}, lambda: Gai(alpha=0.05, wealth=0.025), ["mixA", "bursty"])
    add("gai", {"alpha": 0.1, "w0": 0.07}, lambda: Gai(alpha=0.1, wealth=0.07), ["mixB"])
    add("elond", {"alpha": 0.05}, lambda: ELond(alpha=0.05), ["eA"], every=61, is_e=True)
    add("elond", {"alpha": 0.2}, lambda: ELond(alpha=0.2), ["eB"], every=61, is_e=True)
    return out


def batch():
    rng = np.random.default_rng(606)
    rand = [r12(x) for x in np.concatenate([rng.random(150), stats.norm.sf(rng.normal(3, 1, 50))])]
    vectors = {
        "scipy_doc": [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
                      0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000],
        "ties_zero_one": [0.01, 0.01, 0.0, 1.0, 0.04, 0.04, 0.5, 0.03, 1.0, 0.0, 0.2, 0.01],
        "unsorted": [0.5, 0.6, 0.1, 0.001],
        "single": [0.3],
        "two": [0.04, 0.02],
        "all_ones": [1.0, 1.0, 1.0],
        "all_zeros": [0.0, 0.0],
        "storey_large": [r12(x) for x in stats.norm.sf(rng.normal(2.5, 1, 60))] + [0.7, 0.9],
        "random200": rand,
    }
    out = []
    for name, p in vectors.items():
        entry = {"name": name, "p": p, "alpha": 0.05, "lambda": 0.5}
        entry["bh"] = [f17(x) for x in stats.false_discovery_control(p, method="bh")]
        entry["by"] = [f17(x) for x in stats.false_discovery_control(p, method="by")]
        entry["bh_count"] = ofdr_bh(list(p), 0.05)[0]
        entry["by_count"] = ofdr_by(list(p), 0.05)[0]
        entry["storey_count"] = storey_bh(list(p), 0.05, 0.5)[0]
        out.append(entry)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"generator": "Scripts/dev/make_onlinefdr_fixtures.py",
            "online_fdr": version("online-fdr"), "scipy": version("scipy"), "numpy": version("numpy")}

    def dump(name, obj):
        path = os.path.join(OUT, name)
        with open(path, "w") as f:
            json.dump({"meta": meta, **obj}, f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        print(f"{path}: {os.path.getsize(path)} bytes")

    dump("streams.json", {"p": P_STREAMS, "e": E_STREAMS})
    dump("cases.json", {"cases": cases()})
    dump("batch.json", {"vectors": batch()})


if __name__ == "__main__":
    main()
