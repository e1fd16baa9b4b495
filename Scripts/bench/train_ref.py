#!/usr/bin/env python3
"""PyTorch side of Scripts/bench/train.sh (and `discern-bench train`): trains a GPT-2-shaped model
on random tokens with AdamW and prints one JSON line with its tokens/s.

  train_ref.py --impl torch|hf [--layers 4] [--d-model 256] [--heads 4] [--ctx 128] [--vocab 4096]
               [--batch 8] [--steps 20] [--warmup-steps 3] [--threads N]

Both implementations train the architecture Discern trains (pre-norm GPT-2: learned positions,
LayerNorm eps 1e-5, fused q/k/v, GELU tanh, tied embeddings, no dropout) with the same recipe:
next-token cross-entropy on packed blocks of `ctx` tokens, AdamW (lr 3e-4, betas 0.9/0.95,
weight decay 0.1 on weight matrices only), global-norm clipping at 1.0, HF's cosine schedule with
warmup (LambdaLR), gradients set to None between steps.

- torch: a minimal torch.nn module (nanoGPT-style; the same ATen kernels Discern calls, and the same
  shortcut of computing logits for the scored positions only);
- hf: transformers' GPT2LMHeadModel (labels=input_ids), as shipped (its GELU is the Python
  NewGELUActivation, its attention the eager path).

The first `warmup-steps` steps are not timed. tokens/s counts every input token of the timed steps.
"""
import argparse
import ctypes
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def set_threads(n):
    """torch.set_num_threads sets ATen's OpenMP pool only; Debian's libtorch multiplies matrices with
    OpenBLAS, whose pool keeps its default (every core). Discern sets both, so do the same here."""
    torch.set_num_threads(n)
    for lib in ("libopenblas.so.0", "libopenblasp-r0.3.21.so"):
        try:
            ctypes.CDLL(lib).openblas_set_num_threads(n)
            return
        except (OSError, AttributeError):
            continue


class Block(nn.Module):
    def __init__(self, d, h, eps):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.c_attn = nn.Linear(d, 3 * d)
        self.attn_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x, blocked):
        B, T, C = x.shape
        dh = C // self.h
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q = q.view(B, T, self.h, dh).transpose(1, 2)
        k = k.view(B, T, self.h, dh).transpose(1, 2)
        v = v.view(B, T, self.h, dh).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
        att = att.masked_fill(blocked, torch.finfo(att.dtype).min).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, layers, d, h, ctx, vocab, eps=1e-5):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, h, eps) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=eps)
        self.register_buffer("blocked", torch.ones(ctx, ctx, dtype=torch.bool).triu(1), persistent=False)
        for n, p in self.named_parameters():
            if n.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln" in n:
                nn.init.ones_(p)
            else:
                std = 0.02 / math.sqrt(2 * layers) if n.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def loss(self, idx):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        blocked = self.blocked[:T, :T]
        for b in self.blocks:
            x = b(x, blocked)
        h = self.ln_f(x)[:, :-1]
        logits = F.linear(h, self.wte.weight)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), idx[:, 1:].reshape(-1))


def cosine(step, warmup, total, min_rate=0.1):
    if step < warmup:
        return step / max(1, warmup)
    p = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1 + math.cos(math.pi * p)) * (1 - min_rate) + min_rate)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["torch", "hf"], default="torch")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup-steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    a = ap.parse_args()
    set_threads(a.threads)
    torch.manual_seed(0)
    total = a.steps + a.warmup_steps
    if a.impl == "torch":
        model = GPT(a.layers, a.d_model, a.heads, a.ctx, a.vocab)
        loss_fn = model.loss
    else:
        from transformers import GPT2Config, GPT2LMHeadModel
        from transformers.utils import logging
        logging.set_verbosity_error()
        cfg = GPT2Config(n_layer=a.layers, n_embd=a.d_model, n_head=a.heads, n_positions=a.ctx, vocab_size=a.vocab,
                         resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
        model = GPT2LMHeadModel(cfg)
        loss_fn = lambda idx: model(input_ids=idx, labels=idx).loss
    model.train()
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.dim() >= 2 and "wte" not in n and "wpe" not in n else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine(s, a.warmup_steps, total))
    g = torch.Generator().manual_seed(1)
    data = torch.randint(0, a.vocab, (total, a.batch, a.ctx), generator=g)
    params = [p for p in model.parameters()]
    t0 = None
    losses = []
    for step in range(total):
        if step == a.warmup_steps:
            t0 = time.perf_counter()
        loss = loss_fn(data[step])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    dt = time.perf_counter() - t0
    tokens = a.steps * a.batch * a.ctx
    print(json.dumps({"impl": a.impl, "tokens_per_s": tokens / dt, "seconds": dt, "ms_per_step": dt / a.steps * 1e3,
                      "threads": a.threads, "first_loss": losses[0], "last_loss": losses[-1],
                      "parameters": sum(p.numel() for p in params)}), flush=True)


if __name__ == "__main__":
    main()
