#!/usr/bin/env python3
"""Reference fixtures for Discern's training core (reference: PyTorch 1.13 AdamW, clip_grad_norm_,
HF transformers 4.44 GPT2LMHeadModel and its LR schedules).

Writes Tests/Fixtures/training/:

  gpt2-tiny/config.json, model.safetensors   a tiny random GPT-2 (2 layers, d 32, 4 heads, 16
                                             positions, vocab 64, no dropout), float32
  reference.safetensors                      inputs and PyTorch results:
      packed.tokens [4, 16]                      the batch of every step (scenario "packed")
      f64.loss [4], f64.grad_norm [4], f64.lr [4] per step, in float64 (model.double())
      f64.after.<name>                           every parameter after 4 steps (float64)
      f32.loss, f32.grad_norm, f32.after.<name>  the same run in float32
      masked.tokens [4, 16], masked.labels [4, 16]   right-padded sequences; labels -100 on
                                                 padding and on unscored prompt tokens
      masked.loss [3], masked.after.<name>      3 steps on that batch (float64)
      lr.cosine [25], lr.linear [23], lr.constant [11]   HF schedule values (see reference.json)
  reference.json                             hyperparameters, schedules and the masked sequences

Training recipe (both scenarios): AdamW(lr 1e-2, betas (0.9, 0.95), eps 1e-8), weight decay 0.1 on
the weight matrices (c_attn, c_proj, c_fc) and 0 on biases, LayerNorms and embeddings;
get_cosine_with_min_lr_schedule_with_warmup(warmup 2, total 6, min_lr 1e-3); clip_grad_norm_(0.5)
before each step; loss = GPT2LMHeadModel(input_ids, labels).loss (mean over targets); the same batch
every step; gradients set to None after each step.

Usage: .venv-dev/bin/python Scripts/dev/make_training_fixtures.py
"""
import json
import math
import os

import torch
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.optimization import (get_constant_schedule_with_warmup, get_cosine_with_min_lr_schedule_with_warmup,
                                       get_linear_schedule_with_warmup)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "training")
MODEL = os.path.join(OUT, "gpt2-tiny")

LR, MIN_LR, BETAS, EPS, WD, WARMUP, TOTAL, MAX_NORM = 1e-2, 1e-3, (0.9, 0.95), 1e-8, 0.1, 2, 6, 0.5


def decays(name):
    return name.endswith(".weight") and any(k in name for k in ("c_attn", "c_proj", "c_fc"))


def train(dtype, tokens, labels, steps):
    model = GPT2LMHeadModel.from_pretrained(MODEL, torch_dtype=torch.float32).to(dtype)
    model.train()
    named = list(model.named_parameters())
    opt = torch.optim.AdamW([{"params": [p for n, p in named if decays(n)], "weight_decay": WD},
                             {"params": [p for n, p in named if not decays(n)], "weight_decay": 0.0}],
                            lr=LR, betas=BETAS, eps=EPS)
    sched = get_cosine_with_min_lr_schedule_with_warmup(opt, WARMUP, TOTAL, min_lr=MIN_LR)
    losses, norms, lrs = [], [], []
    for _ in range(steps):
        loss = model(input_ids=tokens, labels=labels).loss
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_NORM)))
        losses.append(float(loss))
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
    return losses, norms, lrs, {n: p.detach().clone() for n, p in named}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(1234)
    cfg = GPT2Config(n_layer=2, n_embd=32, n_head=4, n_positions=16, vocab_size=64, resid_pdrop=0.0,
                     embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=63, eos_token_id=63)
    GPT2LMHeadModel(cfg).save_pretrained(MODEL, safe_serialization=True)
    g = torch.Generator().manual_seed(99)
    ref = {}
    tokens = torch.randint(0, 64, (4, 16), generator=g)
    ref["packed.tokens"] = tokens
    for tag, dtype in (("f64", torch.float64), ("f32", torch.float32)):
        losses, norms, lrs, params = train(dtype, tokens, tokens, 4)
        assert any(n > MAX_NORM for n in norms), "clipping must be active in the fixture"
        ref[f"{tag}.loss"] = torch.tensor(losses, dtype=torch.float64)
        ref[f"{tag}.grad_norm"] = torch.tensor(norms, dtype=torch.float64)
        ref[f"{tag}.lr"] = torch.tensor(lrs, dtype=torch.float64)
        for n, p in params.items():
            ref[f"{tag}.after.{n}"] = p.contiguous()
    # Right-padded sequences of different lengths; sequence 1 scores only its completion (tokens 4…).
    lengths = [16, 11, 7, 13]
    seqs = [torch.randint(0, 63, (n,), generator=g).tolist() for n in lengths]
    masked_tokens = torch.zeros(4, 16, dtype=torch.long)
    labels = torch.full((4, 16), -100, dtype=torch.long)
    scored = []
    for i, s in enumerate(seqs):
        masked_tokens[i, :len(s)] = torch.tensor(s)
        mask = [True] * len(s)
        if i == 1:
            mask[:4] = [False] * 4
        scored.append(mask)
        for t, (tok, on) in enumerate(zip(s, mask)):
            if on:
                labels[i, t] = tok
    ref["masked.tokens"] = masked_tokens
    ref["masked.labels"] = labels
    losses, _, _, params = train(torch.float64, masked_tokens, labels, 3)
    ref["masked.loss"] = torch.tensor(losses, dtype=torch.float64)
    for n, p in params.items():
        ref[f"masked.after.{n}"] = p.contiguous()
    # Schedules.
    p = torch.nn.Parameter(torch.zeros(1))

    def values(make, n):
        opt = torch.optim.SGD([p], lr=1e-3)
        s = make(opt)
        out = []
        for _ in range(n):
            out.append(s.get_last_lr()[0])
            opt.step()
            s.step()
        return torch.tensor(out, dtype=torch.float64)
    ref["lr.cosine"] = values(lambda o: get_cosine_with_min_lr_schedule_with_warmup(o, 3, 20, min_lr_rate=0.1), 21)
    ref["lr.linear"] = values(lambda o: get_linear_schedule_with_warmup(o, 3, 20), 23)
    ref["lr.constant"] = values(lambda o: get_constant_schedule_with_warmup(o, 3), 11)
    save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(OUT, "reference.safetensors"))
    meta = {
        "lr": LR, "min_lr": MIN_LR, "betas": list(BETAS), "eps": EPS, "weight_decay": WD, "warmup_steps": WARMUP,
        "total_steps": TOTAL, "max_grad_norm": MAX_NORM, "steps_recorded": 4,
        "masked": {"sequences": seqs, "scored": scored, "steps_recorded": 3},
        "schedules": {"peak": 1e-3, "cosine": {"warmup": 3, "total": 20, "min_lr_rate": 0.1},
                      "linear": {"warmup": 3, "total": 20}, "constant": {"warmup": 3}},
        "torch": torch.__version__,
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print("f64 losses", ref["f64.loss"].tolist(), "norms", ref["f64.grad_norm"].tolist(), "lrs", ref["f64.lr"].tolist())
    print("f32 losses", ref["f32.loss"].tolist())
    print("masked losses", ref["masked.loss"].tolist())


if __name__ == "__main__":
    main()
