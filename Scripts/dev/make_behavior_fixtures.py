#!/usr/bin/env python3
"""Generates the reference fixtures of the Behavior module under Tests/Fixtures/behavior/.

Run once with the dev venv (numpy, scipy and scikit-learn):

    /work/main/.venv-dev/bin/python Scripts/dev/make_behavior_fixtures.py

What it writes (seeded, so reruns give the same files):

* ``kmeans.json`` - small float32 datasets (blobs with overlap, so Lloyd takes several iterations)
  with given initial centres, and scikit-learn's ``KMeans(init=centres, n_init=1, algorithm="lloyd")``
  labels, inertia, centres and iteration count, for a few (max_iter, tol) settings.
* ``assignment.json`` - cost matrices (random square, wide, tall, integer-valued with ties) with
  ``scipy.optimize.linear_sum_assignment`` pairs and totals, minimised and maximised.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "behavior")


def kmeans_cases():
    rng = np.random.default_rng(14)
    cases = []
    for name, n, d, k, spread, settings in [
        ("blobs_overlap", 300, 5, 4, 1.5, [(300, 1e-4), (3, 0.0), (300, 0.0)]),
        ("wide", 200, 40, 6, 3.0, [(300, 1e-4), (300, 0.0)]),
        ("many_clusters", 500, 8, 12, 1.0, [(300, 1e-4)]),
    ]:
        means = rng.normal(0, 3, size=(k, d))
        x = (means[rng.integers(0, k, n)] + rng.normal(0, spread, size=(n, d))).astype(np.float32)
        init = x[rng.choice(n, k, replace=False)].copy()
        runs = []
        for max_iter, tol in settings:
            km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", max_iter=max_iter, tol=tol)
            km.fit(x)
            runs.append({
                "max_iter": max_iter, "tol": tol,
                "labels": km.labels_.tolist(), "inertia": float(km.inertia_),
                "centroids": km.cluster_centers_.astype(float).ravel().tolist(), "iterations": int(km.n_iter_),
            })
        cases.append({"name": name, "n": n, "d": d, "k": k, "x": x.astype(float).ravel().tolist(),
                      "init": init.astype(float).ravel().tolist(), "runs": runs})
    return cases


def assignment_cases():
    rng = np.random.default_rng(41)
    cases = []
    shapes = [("square5", 5, 5, False), ("square30", 30, 30, False), ("wide", 7, 12, False), ("tall", 15, 6, False),
              ("ties", 8, 8, True), ("ties_wide", 6, 9, True), ("one", 1, 1, False), ("row", 1, 6, False)]
    for name, r, c, ties in shapes:
        cost = rng.integers(0, 4, size=(r, c)).astype(float) if ties else rng.normal(0, 10, size=(r, c))
        for maximize in (False, True):
            rows, cols = linear_sum_assignment(cost, maximize=maximize)
            cases.append({"name": name, "maximize": maximize, "cost": cost.tolist(),
                          "pairs": [[int(a), int(b)] for a, b in zip(rows, cols)],
                          "total": float(cost[rows, cols].sum()), "unique": not ties})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__}
    with open(os.path.join(OUT, "kmeans.json"), "w") as f:
        json.dump({"versions": meta, "cases": kmeans_cases()}, f)
    with open(os.path.join(OUT, "assignment.json"), "w") as f:
        json.dump({"versions": meta, "cases": assignment_cases()}, f)


if __name__ == "__main__":
    main()
