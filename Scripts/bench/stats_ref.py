#!/usr/bin/env python3
"""Reference side of Scripts/bench/stats.sh: PyPI online-fdr and scipy on the inputs Discern wrote.

    stats_ref.py run DIR --prefix N     times online-fdr SAFFRON / LORD++ / ADDIS on the first N
                                        p-values of DIR/stream.f64 and scipy.stats.fisher_exact on
                                        DIR/fisher.i64 (when present); one JSON line per measurement
    stats_ref.py report DISCERN REF     prints the comparison table from the two JSON-lines files

online-fdr runs on a prefix because its per-test cost grows with the number of rejections and it
is pure Python; Discern is timed on the same prefix (the ratio) and on the whole stream.
"""
import json
import os
import sys
import time

import numpy as np


def run(directory, prefix):
    from online_fdr.p_values import Addis, LordPlusPlus, Saffron
    from scipy.stats import fisher_exact

    p = np.fromfile(directory + "/stream.f64", dtype="<f8")[:prefix].tolist()
    makers = {
        "saffron": lambda: Saffron(alpha=0.05, wealth=0.025, lambda_=0.5),
        "lord_plus_plus": lambda: LordPlusPlus(alpha=0.05, wealth=0.025),
        "addis": lambda: Addis(alpha=0.05, wealth=0.025, lambda_=0.25, tau=0.5),
    }
    for name, make in makers.items():
        proc = make()
        rejections = 0
        alpha_sum = 0.0
        t0 = time.perf_counter()
        for v in p:
            if proc.test_one(v):
                rejections += 1
            alpha_sum += proc.alpha
        seconds = time.perf_counter() - t0
        print(json.dumps({"kind": "online_fdr", "procedure": name, "part": "prefix", "n": len(p),
                          "seconds": seconds, "rejections": rejections, "alpha_sum": alpha_sum}), flush=True)
    try:
        tables = np.fromfile(directory + "/fisher.i64", dtype="<i8").reshape(-1, 4)
    except FileNotFoundError:
        return
    pvalues = np.empty(len(tables))
    t0 = time.perf_counter()
    for i, (a, b, c, d) in enumerate(tables.tolist()):
        pvalues[i] = fisher_exact([[a, b], [c, d]])[1]
    seconds = time.perf_counter() - t0
    pvalues.tofile(directory + "/fisher_scipy.f64")
    print(json.dumps({"kind": "fisher", "n": len(tables), "seconds": seconds}), flush=True)


def max_rel_diff(directory):
    """Largest relative difference between Discern's and scipy's Fisher p-values (or None)."""
    try:
        ours = np.fromfile(directory + "/fisher_discern.f64", dtype="<f8")
        ref = np.fromfile(directory + "/fisher_scipy.f64", dtype="<f8")
    except FileNotFoundError:
        return None
    scale = np.maximum(np.abs(ref), 1e-300)
    return float(np.max(np.abs(ours - ref) / scale))


def report(discern_path, ref_path):
    def load(path):
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    ours, ref = load(discern_path), load(ref_path)
    print("Online FDR: alpha 0.05, W0 0.025 (SAFFRON lambda 0.5; ADDIS lambda 0.25, tau 0.5)")
    print("| procedure      | prefix n | online-fdr s | discern s | speed-up | same decisions | full n    | discern s (full) | rejections (full) |")
    print("|----------------|----------|--------------|-----------|----------|----------------|-----------|------------------|-------------------|")
    for r in [x for x in ref if x["kind"] == "online_fdr"]:
        mine = {x["part"]: x for x in ours if x["kind"] == "online_fdr" and x["procedure"] == r["procedure"]}
        pre, full = mine["prefix"], mine["full"]
        same = pre["rejections"] == r["rejections"] and abs(pre["alpha_sum"] - r["alpha_sum"]) <= 1e-9 * abs(r["alpha_sum"])
        print("| %-14s | %8d | %12.3f | %9.5f | %7.0fx | %-14s | %9d | %16.3f | %17d |" % (
            r["procedure"], r["n"], r["seconds"], pre["seconds"], r["seconds"] / max(pre["seconds"], 1e-9),
            "yes" if same else "NO", full["n"], full["seconds"], full["rejections"]))
    fr = [x for x in ref if x["kind"] == "fisher"]
    fo = [x for x in ours if x["kind"] == "fisher"]
    if fr and fo:
        print()
        print("Fisher exact two-sided, %d random 2x2 tables" % fr[0]["n"])
        print("| implementation            | seconds | µs/test | speed-up | max rel. diff of p |")
        print("|---------------------------|---------|---------|----------|--------------------|")
        print("| scipy.stats.fisher_exact  | %7.3f | %7.2f | %8s | %18s |" % (fr[0]["seconds"], fr[0]["seconds"] / fr[0]["n"] * 1e6, "ref", "-"))
        print("| discern                   | %7.3f | %7.2f | %7.0fx | %18.2e |" % (
            fo[0]["seconds"], fo[0]["seconds"] / fo[0]["n"] * 1e6, fr[0]["seconds"] / max(fo[0]["seconds"], 1e-9),
            max_rel_diff(os.path.dirname(os.path.abspath(discern_path))) or float("nan")))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "run":
        prefix = int(sys.argv[sys.argv.index("--prefix") + 1]) if "--prefix" in sys.argv else 20000
        run(sys.argv[2], prefix)
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
