#!/usr/bin/env python3
"""Transcoder fixtures for Discern's Circuits tests (reference: numpy).

Writes small random transcoders shaped for the tiny GPT-2 fixture (Tests/Fixtures/models/gpt2:
2 layers, d_model 64) under Tests/Fixtures/transcoders/, in the formats circuit-tracer reads, built
from the format description in ../shared/notes/circuit-tracing-and-diffing.md §1.6 and circuit-tracer's
source (circuit-tracer is not a dependency; Scripts/dev/check_transcoders_circuit_tracer.py checks these
fixtures against circuit-tracer 0.5.0's own loaders: max |diff| 1.9e-6):

  plt/config.yaml              model_kind transcoder_set, ln2.hook_normalized -> hook_mlp_out
  plt/layer_0.safetensors      JumpReLU (activation_function.threshold) + W_skip
  plt/layer_1.safetensors      ReLU, no skip
  topk/config.yaml             activation: topk, k: 5, no "transcoders" list (layer_*.safetensors
                               discovery, as circuit-tracer's resolve_transcoder_paths)
  topk/layer_{0,1}.safetensors TopK, plus the int64 tensor "k" (shape []) that circuit-tracer's
                               SingleLayerTranscoder.to_safetensors writes; layer 1 has W_skip
  gemmascope/layer_0/params.npz             GemmaScope v1 layout, np.savez (stored)
  gemmascope/layer_0/params_compressed.npz  the same, np.savez_compressed (deflate)
  clt/config.yaml              model_kind cross_layer_transcoder (hook_resid_mid -> hook_mlp_out)
  clt/W_enc_{i}.safetensors    W_enc_i [32, 64], b_enc_i, b_dec_i, threshold_i (JumpReLU)
  clt/W_dec_{i}.safetensors    W_dec_i [32, 2 - i, 64]
  reference.safetensors        inputs and numpy outputs:
      x                        [2, 11, 64] float32 inputs (random normal; stand-in for
                               blocks.L.ln2.hook_normalized)
      <set>.<layer>.pre / .features / .decoded / .out    pre-activations, features,
                               a·W_dec + b_dec, and full output (+ skip)  for set in plt, topk
      gemmascope.0.features / .out
      x1                       a second input, read by the CLT's layer 1 (layer 0 reads x)
      clt.<layer>.features / clt.<layer>.out   CLT features per layer and outputs per layer:
                               out[t] = b_dec_t + sum_{s <= t} features_s @ W_dec_s[:, t - s]

Orientation: circuit-tracer W_enc [d_tc, d_model] (pre = x @ W_enc.T + b_enc), W_dec [d_tc, d_model],
W_skip [d_model, d_model] applied as x @ W_skip.T; GemmaScope W_enc [d_model, d_sae].
JumpReLU f = z * (z > theta); TopK keeps the k largest z per token unchanged (circuit-tracer's TopK:
z * gate, no ReLU).

Usage: /work/main/.venv-dev/bin/python Scripts/dev/make_transcoder_fixtures.py   (torch not needed;
numpy<2 and safetensors)
       .venv-dev/bin/python Scripts/dev/make_transcoder_fixtures.py --check-saved DIR
           reads what Discern wrote to DIR (plt/ and topk/ sets, params.npz, clt/, and
           outputs.safetensors with the input "x" and Discern's outputs "<name>.<layer>") with numpy
           and safetensors only, recomputes the outputs as circuit-tracer defines them and exits 0
           when every max |diff| <= 1e-5.
"""
import os
import sys

import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "transcoders")
D_MODEL, D_TC, N_LAYERS, K = 64, 32, 2, 5
rng = np.random.default_rng(20261121)


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def make(skip, jump):
    p = {
        "W_enc": f32(rng.normal(0, 0.25, (D_TC, D_MODEL))),
        "b_enc": f32(rng.normal(0, 0.3, (D_TC,))),
        "W_dec": f32(rng.normal(0, 0.2, (D_TC, D_MODEL))),
        "b_dec": f32(rng.normal(0, 0.1, (D_MODEL,))),
    }
    if jump:
        p["activation_function.threshold"] = f32(rng.uniform(0.0, 1.0, (D_TC,)))
    if skip:
        p["W_skip"] = f32(rng.normal(0, 0.05, (D_MODEL, D_MODEL)))
    return p


def forward(p, x, act):
    pre = x @ p["W_enc"].T + p["b_enc"]
    if act == "jumprelu":
        feats = pre * (pre > p["activation_function.threshold"])
    elif act == "relu":
        feats = np.maximum(pre, 0)
    else:
        idx = np.argsort(-pre, axis=-1, kind="stable")[..., :K]
        feats = np.zeros_like(pre)
        np.put_along_axis(feats, idx, np.take_along_axis(pre, idx, -1), -1)
    dec = feats @ p["W_dec"] + p["b_dec"]
    out = dec + (x @ p["W_skip"].T if "W_skip" in p else 0)
    return f32(pre), f32(feats), f32(dec), f32(out)


def write_config(d, files, extra=""):
    with open(os.path.join(d, "config.yaml"), "w") as f:
        f.write("# tiny random transcoders for Tests/Fixtures/models/gpt2\n")
        f.write("model_kind: transcoder_set\nfeature_input_hook: \"ln2.hook_normalized\"\n")
        f.write("feature_output_hook: hook_mlp_out  # circuit-tracer naming\n" + extra)
        if files:
            f.write("transcoders:\n" + "".join(f"  - {n}\n" for n in files))


def main():
    x = f32(rng.normal(0, 1, (2, 11, D_MODEL)))
    ref = {"x": x}
    for name, specs in [("plt", [("jumprelu", True), ("relu", False)]), ("topk", [("topk", False), ("topk", True)])]:
        d = os.path.join(ROOT, name)
        os.makedirs(d, exist_ok=True)
        files = []
        for layer, (act, skip) in enumerate(specs):
            p = make(skip, act == "jumprelu")
            fn = f"layer_{layer}.safetensors"
            if act == "topk":
                p["k"] = np.array(K, dtype=np.int64)
            save_file(p, os.path.join(d, fn))
            p.pop("k", None)
            files.append(fn)
            pre, feats, dec, out = forward(p, x, act)
            for k, v in [("pre", pre), ("features", feats), ("decoded", dec), ("out", out)]:
                ref[f"{name}.{layer}.{k}"] = v
        if name == "plt":
            write_config(d, files, "model_name: 'tiny-gpt2'\n")
        else:
            write_config(d, None, f"activation: topk\nk: {K}\n")
    g = make(False, True)
    gd = os.path.join(ROOT, "gemmascope", "layer_0")
    os.makedirs(gd, exist_ok=True)
    arrays = dict(W_enc=f32(g["W_enc"].T), W_dec=g["W_dec"], b_enc=g["b_enc"], b_dec=g["b_dec"],
                  threshold=g["activation_function.threshold"])
    np.savez(os.path.join(gd, "params.npz"), **arrays)
    np.savez_compressed(os.path.join(gd, "params_compressed.npz"), **arrays)
    _, feats, _, out = forward(g, x, "jumprelu")
    ref["gemmascope.0.features"], ref["gemmascope.0.out"] = feats, out
    cd = os.path.join(ROOT, "clt")
    os.makedirs(cd, exist_ok=True)
    with open(os.path.join(cd, "config.yaml"), "w") as f:
        f.write("model_kind: cross_layer_transcoder\nfeature_input_hook: hook_resid_mid\nfeature_output_hook: hook_mlp_out\n")
    x1 = f32(rng.normal(0, 1, (2, 11, D_MODEL)))
    ref["x1"] = x1
    clt = []
    for i in range(N_LAYERS):
        p = make(False, True)
        wdec = f32(rng.normal(0, 0.2, (D_TC, N_LAYERS - i, D_MODEL)))
        save_file({f"W_enc_{i}": p["W_enc"], f"b_enc_{i}": p["b_enc"], f"b_dec_{i}": p["b_dec"],
                   f"threshold_{i}": p["activation_function.threshold"]}, os.path.join(cd, f"W_enc_{i}.safetensors"))
        save_file({f"W_dec_{i}": wdec}, os.path.join(cd, f"W_dec_{i}.safetensors"))
        clt.append((p, wdec))
    feats = []
    for i, xi in enumerate([x, x1]):
        pre, f, _, _ = forward(clt[i][0], xi, "jumprelu")
        feats.append(f)
        ref[f"clt.{i}.features"] = f
    for t in range(N_LAYERS):
        out = clt[t][0]["b_dec"] + sum(feats[s] @ clt[s][1][:, t - s] for s in range(t + 1))
        ref[f"clt.{t}.out"] = f32(out)
    save_file(ref, os.path.join(ROOT, "reference.safetensors"))
    print("wrote", os.path.normpath(ROOT))


def load_layer(path, config_activation=None, k=None):
    from safetensors.numpy import load_file
    p = load_file(path)
    kt = p.pop("k", None)
    if config_activation == "topk":
        act = "topk"
        k = int(k)
    elif "activation_function.threshold" in p:
        act = "jumprelu"
    else:
        act = "relu"
    return p, act, k


def parse_config(path):
    cfg = {}
    for line in open(path):
        if ":" in line and not line.startswith(" "):
            key, val = line.split(":", 1)
            cfg[key.strip()] = val.split(" #")[0].strip().strip('"')
    return cfg


def check_saved(d):
    global K
    from safetensors.numpy import load_file
    out = load_file(os.path.join(d, "outputs.safetensors"))
    x = out["x"]
    worst = 0.0
    for name in ("plt", "topk"):
        cfg = parse_config(os.path.join(d, name, "config.yaml"))
        layer = 0
        while os.path.exists(os.path.join(d, name, f"layer_{layer}.safetensors")):
            p, act, k = load_layer(os.path.join(d, name, f"layer_{layer}.safetensors"), cfg.get("activation"), cfg.get("k"))
            if k is not None:
                K = k
            got = forward(p, x, act)[3]
            worst = max(worst, float(np.abs(got - out[f"{name}.{layer}"]).max()))
            layer += 1
    g = dict(np.load(os.path.join(d, "params.npz")))
    gp = {"W_enc": g["W_enc"].T, "W_dec": g["W_dec"], "b_enc": g["b_enc"], "b_dec": g["b_dec"],
          "activation_function.threshold": g["threshold"]}
    worst = max(worst, float(np.abs(forward(gp, x, "jumprelu")[3] - out["gemmascope.0"]).max()))
    feats, n = [], 0
    while os.path.exists(os.path.join(d, "clt", f"W_enc_{n}.safetensors")):
        n += 1
    encs = [load_file(os.path.join(d, "clt", f"W_enc_{i}.safetensors")) for i in range(n)]
    decs = [load_file(os.path.join(d, "clt", f"W_dec_{i}.safetensors"))[f"W_dec_{i}"] for i in range(n)]
    for i in range(n):
        e = encs[i]
        pre = x @ e[f"W_enc_{i}"].T + e[f"b_enc_{i}"]
        feats.append(pre * (pre > e[f"threshold_{i}"]))
    for t in range(n):
        y = encs[t][f"b_dec_{t}"] + sum(feats[s] @ decs[s][:, t - s] for s in range(t + 1))
        worst = max(worst, float(np.abs(y - out[f"clt.{t}"]).max()))
    print(f"max |diff| {worst:.3g}")
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check-saved":
        sys.exit(check_saved(sys.argv[2]))
    main()
