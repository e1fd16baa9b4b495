#!/usr/bin/env python3
"""Inputs and references of Scripts/bench/behavior.sh.

    behavior_ref.py prepare DIR   write x.f32 (n x d float32), init.f32 (k x d), texts.json, meta.json
    behavior_ref.py run DIR       time scikit-learn KMeans(lloyd, init=the same centres, n_init=1, tol=0) and
                                  sentence-transformers all-MiniLM-L6-v2 on the same texts; JSON lines
    behavior_ref.py report DISCERN.jsonl REF.jsonl   the table, with ratios discern / reference

Thread counts come from OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (set by behavior.sh before Python starts).
"""
import json
import os
import sys
import time

import numpy as np


def prepare(d_):
    n, d, k, iters = int(os.environ.get("BENCH_N", 100000)), 384, 100, 20
    rng = np.random.default_rng(3)
    # Clustered data (200 true centres), so Lloyd keeps moving for 20 iterations without empty clusters.
    means = rng.normal(0, 1, size=(200, d)).astype(np.float32)
    x = (means[rng.integers(0, 200, n)] + rng.normal(0, 1.5, size=(n, d))).astype(np.float32)
    init = x[rng.choice(n, k, replace=False)].copy()
    os.makedirs(d_, exist_ok=True)
    x.tofile(os.path.join(d_, "x.f32"))
    init.tofile(os.path.join(d_, "init.f32"))
    words = ("the model said that a user asked about weather code music travel food history science sport money health "
             "quickly carefully never always because although however people city river mountain language answer").split()
    texts = [" ".join(words[j] for j in rng.integers(0, len(words), int(rng.integers(6, 40)))) for _ in range(2000)]
    json.dump(texts, open(os.path.join(d_, "texts.json"), "w"))
    json.dump({"n": n, "d": d, "k": k, "iters": iters}, open(os.path.join(d_, "meta.json"), "w"))


def emit(o):
    print(json.dumps(o, sort_keys=True), flush=True)


def run(d_):
    from sklearn.cluster import KMeans
    meta = json.load(open(os.path.join(d_, "meta.json")))
    n, d, k, iters = meta["n"], meta["d"], meta["k"], meta["iters"]
    x = np.fromfile(os.path.join(d_, "x.f32"), dtype=np.float32).reshape(n, d)
    init = np.fromfile(os.path.join(d_, "init.f32"), dtype=np.float32).reshape(k, d)
    best, km = float("inf"), None
    for _ in range(3):
        t0 = time.perf_counter()
        km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", max_iter=iters, tol=0).fit(x)
        best = min(best, time.perf_counter() - t0)
    emit({"name": "kmeans", "seconds": best, "inertia": float(km.inertia_), "iterations": int(km.n_iter_)})

    import torch
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    texts = json.load(open(os.path.join(d_, "texts.json")))
    try:
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer(os.environ["MINILM_DIR"], device="cpu")
        encode = lambda t: model.encode(t, batch_size=32, normalize_embeddings=True)
        ref = "sentence-transformers"
    except Exception as e:  # fall back to HF transformers mean pooling (said in the table)
        from transformers import AutoModel, AutoTokenizer
        tok = AutoTokenizer.from_pretrained(os.environ["MINILM_DIR"])
        mdl = AutoModel.from_pretrained(os.environ["MINILM_DIR"]).eval()
        ref = f"transformers mean pooling ({type(e).__name__})"

        def encode(t):
            out = []
            with torch.no_grad():
                for i in range(0, len(t), 32):
                    b = tok(t[i:i + 32], padding=True, truncation=True, max_length=256, return_tensors="pt")
                    h = mdl(**b).last_hidden_state
                    m = b["attention_mask"].unsqueeze(-1).float()
                    e = (h * m).sum(1) / m.sum(1)
                    out.append(torch.nn.functional.normalize(e, dim=1).numpy())
            return np.concatenate(out)
    encode(texts[:64])
    best, emb = float("inf"), None
    for _ in range(2):
        t0 = time.perf_counter()
        emb = encode(texts)
        best = min(best, time.perf_counter() - t0)
    emit({"name": "embed", "seconds": best, "texts": len(texts), "first": [float(v) for v in emb[0]], "reference": ref})


def report(a, b):
    ours = {o["name"]: o for o in map(json.loads, open(a))}
    ref = {o["name"]: o for o in map(json.loads, open(b))}
    print("| benchmark | discern (s) | reference (s) | ratio | check |")
    print("|-----------|-------------|---------------|-------|-------|")
    km, kr = ours["kmeans"], ref["kmeans"]
    rel = abs(km["inertia"] - kr["inertia"]) / kr["inertia"]
    print(f"| k-means 10^5x384, K=100, {km['iterations']}/{kr['iterations']} Lloyd iterations vs sklearn | "
          f"{km['seconds']:.3f} | {kr['seconds']:.3f} | {km['seconds'] / kr['seconds']:.2f}x | inertia rel. diff {rel:.1e} |")
    em, er = ours["embed"], ref["embed"]
    cos = float(np.dot(em["first"], er["first"]))
    print(f"| embed {em['texts']} texts, all-MiniLM-L6-v2, vs {er['reference']} | {em['seconds']:.3f} | {er['seconds']:.3f} | "
          f"{em['seconds'] / er['seconds']:.2f}x | cos(first) {cos:.6f} |")
    print(f"texts/s: discern {em['texts'] / em['seconds']:.0f}, reference {er['texts'] / er['seconds']:.0f}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "prepare":
        prepare(sys.argv[2])
    elif cmd == "run":
        run(sys.argv[2])
    elif cmd == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: behavior_ref.py prepare|run DIR | report A B")
