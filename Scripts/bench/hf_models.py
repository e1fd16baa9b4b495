#!/usr/bin/env python3
"""HF transformers side of Scripts/bench/models.sh.

  hf_models.py make DIR                 writes a random GPT-2-small-shaped model (124M) to DIR
  hf_models.py run DIR [--batches 1,8,64] [--prompt-len 16] [--new-tokens 32] [--threads 2] [--label L]
                                        prints one JSON object per measurement (same as discern-bench models)
"""
import argparse
import json
import time

import torch


def make(d):
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config()).save_pretrained(d, safe_serialization=True)


def run(a):
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(a.threads)
    model = AutoModelForCausalLM.from_pretrained(a.dir, torch_dtype=torch.float32).eval().to(a.device)
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)
    V = model.config.vocab_size
    g = torch.Generator().manual_seed(12345)

    def emit(o):
        o["model"] = a.label
        print(json.dumps(o, sort_keys=True), flush=True)

    for b in [int(x) for x in a.batches.split(",")]:
        ids = torch.randint(0, V - 1, (b, a.prompt_len), generator=g).to(a.device)  # V-1 is the pad id
        mask = torch.ones_like(ids)
        kw = dict(attention_mask=mask, do_sample=True, top_k=50, max_new_tokens=a.new_tokens,
                  min_new_tokens=a.new_tokens, pad_token_id=V - 1)
        with torch.no_grad():
            model.generate(ids, **{**kw, "max_new_tokens": 2, "min_new_tokens": 2})
            best = float("inf")
            for _ in range(2):
                sync()
                t0 = time.perf_counter()
                out = model.generate(ids, **kw)
                sync()
                best = min(best, time.perf_counter() - t0)
                assert out.shape[1] == a.prompt_len + a.new_tokens
        emit({"kind": "generate", "batch": b, "new_tokens_per_s": b * a.new_tokens / best, "seconds": best})
    L = min(a.score_len, model.config.max_position_embeddings if hasattr(model.config, "max_position_embeddings") else model.config.n_positions)
    seqs = torch.randint(0, V, (a.score_batch, L), generator=g).to(a.device)

    def score():
        with torch.no_grad():
            lp = torch.log_softmax(model(seqs).logits[:, :-1].float(), -1)
            return lp.gather(-1, seqs[:, 1:].unsqueeze(-1)).squeeze(-1).sum(-1).cpu()
    score()
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        score()
        best = min(best, time.perf_counter() - t0)
    emit({"kind": "score", "tokens_per_s": seqs.numel() / best, "seconds": best})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd")
    p.add_argument("dir")
    p.add_argument("--batches", default="1,8,64")
    p.add_argument("--prompt-len", type=int, default=16)
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--score-len", type=int, default=128)
    p.add_argument("--score-batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--label", default=None)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    a.label = a.label or a.dir
    if a.cmd == "make":
        make(a.dir)
    else:
        run(a)


if __name__ == "__main__":
    main()
