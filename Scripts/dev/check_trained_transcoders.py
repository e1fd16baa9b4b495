#!/usr/bin/env python3
"""Recomputes the held-out metrics of transcoders Discern trained, with HF transformers and the saved files.

    check_trained_transcoders.py MODEL_DIR TRANSCODER_DIR SEQUENCES_JSON

MODEL_DIR is a GPT-2 HF directory, TRANSCODER_DIR a per-layer set in circuit-tracer's layout (config.yaml +
layer_{i}.safetensors: TopK via config `activation: topk`/`k`, JumpReLU via `activation_function.threshold`,
else ReLU; optional W_skip applied as x·W_skipᵀ), SEQUENCES_JSON a list of token-id lists. Each transcoder
reads the output of `transformer.h[l].ln_2` (TransformerLens's `blocks.l.ln2.hook_normalized`) and predicts
the output of `transformer.h[l].mlp` (`blocks.l.hook_mlp_out`). Prints JSON:

    {"fvu": [per layer], "l0": [per layer], "clean_loss", "spliced_loss", "zero_ablation_loss", "targets"}

FVU and L0 are over every position except 0; the losses are mean next-token cross-entropies with every layer's
MLP output replaced (positions >= 1) by its transcoder's output on the ln_2 output of the same pass, or by zeros.
Independent of Discern's code: HF's modules, torch and safetensors only.
"""
import json
import sys

import torch
from safetensors.torch import load_file
from transformers import GPT2LMHeadModel


def load_set(path):
    cfg = {}
    for line in open(f"{path}/config.yaml"):
        if ":" in line and not line.startswith(" "):
            key, value = line.split(":", 1)
            cfg[key.strip()] = value.strip().strip('"')
    layers = []
    while True:
        try:
            layers.append(load_file(f"{path}/layer_{len(layers)}.safetensors"))
        except FileNotFoundError:
            return cfg, layers


def transcode(p, cfg, x):
    z = x @ p["W_enc"].T + p["b_enc"]
    if cfg.get("activation") == "topk":
        values, idx = z.topk(int(cfg["k"]), dim=-1)
        a = torch.zeros_like(z).scatter(-1, idx, values)
    elif "activation_function.threshold" in p:
        a = z * (z > p["activation_function.threshold"])
    else:
        a = torch.relu(z)
    y = a @ p["W_dec"] + p["b_dec"]
    if "W_skip" in p:
        y = y + x @ p["W_skip"].T
    return a, y


def main():
    model_dir, tc_dir, seq_path = sys.argv[1:4]
    model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
    cfg, tcs = load_set(tc_dir)
    seqs = json.load(open(seq_path))
    n_layers = len(tcs)
    mode = {"value": "clean"}
    inputs, pairs = {}, {l: [] for l in range(n_layers)}

    def ln_hook(l):
        def hook(_module, _args, out):
            inputs[l] = out
        return hook

    def mlp_hook(l):
        def hook(_module, _args, out):
            if mode["value"] == "clean":
                pairs[l].append((inputs[l][0, 1:], out[0, 1:]))
                return None
            new = out.clone()
            if mode["value"] == "spliced":
                new[:, 1:] = transcode(tcs[l], cfg, inputs[l][:, 1:])[1]
            else:
                new[:, 1:] = 0
            return new
        return hook

    for l in range(n_layers):
        model.transformer.h[l].ln_2.register_forward_hook(ln_hook(l))
        model.transformer.h[l].mlp.register_forward_hook(mlp_hook(l))
    losses = {"clean": 0.0, "spliced": 0.0, "zero": 0.0}
    targets = 0
    with torch.no_grad():
        for s in seqs:
            ids = torch.tensor([s])
            for m in losses:
                mode["value"] = m
                logits = model(ids).logits[0, :-1].double()
                losses[m] += torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="sum").item()
            targets += len(s) - 1
    fvu, l0 = [], []
    for l in range(n_layers):
        x = torch.cat([p[0] for p in pairs[l]])
        y = torch.cat([p[1] for p in pairs[l]]).double()
        a, yhat = transcode(tcs[l], cfg, x)
        fvu.append((((yhat.double() - y) ** 2).sum() / ((y - y.mean(0)) ** 2).sum()).item())
        l0.append((a != 0).double().sum(-1).mean().item())
    print(json.dumps({"fvu": fvu, "l0": l0, "clean_loss": losses["clean"] / targets,
                      "spliced_loss": losses["spliced"] / targets, "zero_ablation_loss": losses["zero"] / targets,
                      "targets": targets}))


if __name__ == "__main__":
    main()
