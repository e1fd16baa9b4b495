#!/usr/bin/env python3
"""Checks Discern's transcoder fixtures against circuit-tracer's own loaders.

Loads Tests/Fixtures/transcoders (written by make_transcoder_fixtures.py from numpy) with
circuit-tracer's `load_transcoder_set`, `load_gemma_scope_transcoder`, `load_clt` and
`SingleLayerTranscoder` + `TopK`, and compares features and outputs with reference.safetensors.
Prints each max |diff|; exits 0 when all are <= 1e-5.

circuit-tracer is not a project dependency. Install it without its dependencies into a scratch
venv and point PYTHONPATH at it (it is imported module by module, bypassing its package
__init__, which pulls in transformer_lens and pydantic):

  python3 -m venv --system-site-packages /tmp/ctvenv
  /tmp/ctvenv/bin/pip install --no-deps circuit-tracer==0.5.0
  PYTHONPATH=/tmp/ctvenv/lib/python3.11/site-packages \\
      .venv-dev/bin/python Scripts/dev/check_transcoders_circuit_tracer.py [FIXTURE_DIR]

Debian's torch 1.13 predates APIs circuit-tracer 0.5.0 uses, so its transcoder modules are
loaded with four textual shims (no change to the arithmetic): `with torch.device("meta"):` runs
on the default device, `load_state_dict(..., assign=True)` drops `assign`, the JumpReLU
autograd.Function is called directly (forward only), and constructor dtype defaults become
float32. circuit-tracer 0.5.0 has no TopK loader or `activation`/`k` config keys (its GitHub head
does); the TopK layers are built from `SingleLayerTranscoder(..., TopK(k))` here.

Result on 2026-11-21 (circuit-tracer 0.5.0, torch 1.13.1 CPU): every max |diff| <= 1.9e-6.
"""
import glob
import importlib.util
import os
import sys
import types

import torch
from safetensors.torch import load_file

SHIMS = [
    ('with torch.device("meta"):', "if True:"),
    (", assign=True)", ")"),
    ("return jumprelu.apply(x, self.threshold, self.bandwidth)  # type: ignore",
     "return jumprelu.forward(x, self.threshold, self.bandwidth)"),
    ("dtype: torch.dtype = torch.bfloat16,", "dtype: torch.dtype = torch.float32,"),
]


def import_patched(name, site):
    path = os.path.join(site, *name.split(".")) + ".py"
    src = open(path).read()
    for a, b in SHIMS:
        src = src.replace(a, b)
    mod = types.ModuleType(name)
    mod.__file__ = path
    sys.modules[name] = mod
    exec(compile(src, path, "exec"), mod.__dict__)
    return mod


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "Tests",
                                                                "Fixtures", "transcoders")
    spec = importlib.util.find_spec("circuit_tracer")
    if spec is None:
        sys.exit("circuit_tracer is not importable (see the docstring)")
    site = os.path.dirname(list(spec.submodule_search_locations)[0])
    for pkg in ["circuit_tracer", "circuit_tracer.transcoder", "circuit_tracer.utils"]:
        m = types.ModuleType(pkg)
        m.__path__ = [os.path.join(site, *pkg.split("."))]
        sys.modules[pkg] = m
    sys.modules["circuit_tracer.utils"].get_default_device = lambda: torch.device("cpu")
    act = import_patched("circuit_tracer.transcoder.activation_functions", site)
    slt = import_patched("circuit_tracer.transcoder.single_layer_transcoder", site)
    clt_mod = import_patched("circuit_tracer.transcoder.cross_layer_transcoder", site)
    cpu = torch.device("cpu")

    ref = load_file(os.path.join(root, "reference.safetensors"))
    x, x1 = ref["x"], ref["x1"]
    worst = 0.0

    def diff(label, a, b):
        nonlocal worst
        v = float((a - b).abs().max())
        worst = max(worst, v)
        print(f"{label:24s} {v:.3g}")

    s = slt.load_transcoder_set({l: os.path.join(root, "plt", f"layer_{l}.safetensors") for l in range(2)},
                                "fixture", "ln2.hook_normalized", "hook_mlp_out", device=cpu)
    for l in range(2):
        diff(f"plt.{l}.features", s[l].encode(x), ref[f"plt.{l}.features"])
        diff(f"plt.{l}.out", s[l](x), ref[f"plt.{l}.out"])
    for l in range(2):
        sd = load_file(os.path.join(root, "topk", f"layer_{l}.safetensors"))
        k = int(sd.pop("k"))
        t = slt.SingleLayerTranscoder(64, 32, act.TopK(k), l, skip_connection="W_skip" in sd, device=cpu,
                                      dtype=torch.float32)
        t.load_state_dict(sd)
        diff(f"topk.{l}.features", t.encode(x), ref[f"topk.{l}.features"])
        diff(f"topk.{l}.out", t(x), ref[f"topk.{l}.out"])
    for f in ["params.npz", "params_compressed.npz"]:
        g = slt.load_gemma_scope_transcoder(os.path.join(root, "gemmascope", "layer_0", f), 0, device=cpu)
        diff(f"gemmascope {f}", g(x), ref["gemmascope.0.out"])
    c = clt_mod.load_clt(os.path.join(root, "clt"), device=cpu, dtype=torch.float32)
    feats = torch.stack([c.encode_layer(x, 0), c.encode_layer(x1, 1)])
    for l in range(2):
        diff(f"clt.{l}.features", feats[l], ref[f"clt.{l}.features"])
    out = c.decode(feats.reshape(2, -1, feats.shape[-1]))
    for l in range(2):
        diff(f"clt.{l}.out", out[l].reshape(ref[f"clt.{l}.out"].shape), ref[f"clt.{l}.out"])
    print(f"worst {worst:.3g}")
    sys.exit(0 if worst <= 1e-5 else 1)


if __name__ == "__main__":
    main()
