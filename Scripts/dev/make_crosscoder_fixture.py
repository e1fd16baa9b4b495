"""Reference for Discern's BatchTopK crosscoder (Sources/Circuits/Diffing/Crosscoder.swift), in plain PyTorch.

Writes Tests/Fixtures/crosscoder/: data.safetensors (paired synthetic activations with planted shared, base-only and
model-only features, and the initial weights) and reference.json (the loss curve, L0, threshold, relative decoder
norms, Latent Scaling betas and each model's FVU after training). The algorithm, written independently of the
Swift code from Minder et al. 2025 and the crosscoder_learning conventions:

  x̃_m = x_m / s_m, s_m = sqrt(mean ||x_m||^2)                       (per model)
  z = ReLU(x̃_b W_enc[0] + x̃_m W_enc[1] + b_enc)
  scores = z * (||W_dec[0, j]|| + ||W_dec[1, j]||)                   (code normalisation)
  keep the k*batch largest scores of the batch; a = z * mask
  x̂_m = a W_dec[m] + b_dec[m]
  loss = (||x̂_b - x̃_b||^2 + ||x̂_m - x̃_m||^2) / (batch * (var_b + var_m)), var = mean_rows ||x̃ - mean||^2
  Adam (torch.optim.Adam defaults, constant lr); batches in order (no shuffle); threshold: from step
  threshold_start, EMA (beta) of the smallest selected positive pre-activation.
  Latent Scaling (closed form) with the model-side decoder d_j on each model's normalised activations:
  beta = sum f_j <d_j, y> / (||d_j||^2 sum f_j^2), y = error + own contribution, or reconstruction - own contribution.

Run: .venv-dev/bin/python Scripts/dev/make_crosscoder_fixture.py
"""
import json
import os

import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "crosscoder")
D, N, WIDTH, K, BATCH, STEPS, LR, TSTART, TBETA = 16, 2048, 32, 4, 256, 600, 3e-3, 150, 0.99


def synthetic(gen):
    """Sparse features: 10 shared (slightly rotated in the model), 4 base-only, 4 model-only."""
    def dirs(n):
        v = torch.randn(n, D, generator=gen)
        return v / v.norm(dim=1, keepdim=True)
    shared_b = dirs(10)
    shared_m = shared_b + 0.1 * dirs(10)
    shared_m = shared_m / shared_m.norm(dim=1, keepdim=True)
    base_only, model_only = dirs(4), dirs(4)

    def acts(n):
        on = (torch.rand(N, n, generator=gen) < 0.12).float()
        return on * (0.5 + torch.rand(N, n, generator=gen) * 2)
    a_s, a_b, a_m = acts(10), acts(4), acts(4)
    noise_b = 0.02 * torch.randn(N, D, generator=gen)
    noise_m = 0.02 * torch.randn(N, D, generator=gen)
    xb = a_s @ shared_b + a_b @ base_only + noise_b
    xm = a_s @ shared_m + a_m @ model_only + noise_m
    return xb.float(), xm.float()


def main():
    gen = torch.Generator().manual_seed(7)
    xb_raw, xm_raw = synthetic(gen)
    d = torch.randn(2, WIDTH, D, generator=gen)
    w_dec0 = d / d.norm(dim=2, keepdim=True) / (2 ** 0.5)
    w_enc0 = w_dec0.transpose(1, 2).contiguous()
    s_b = float((xb_raw.double().pow(2).sum() / N).sqrt())
    s_m = float((xm_raw.double().pow(2).sum() / N).sqrt())
    xb, xm = xb_raw / s_b, xm_raw / s_m
    b_dec0 = torch.stack([xb.mean(0), xm.mean(0)])
    b_enc0 = torch.zeros(WIDTH)

    w_enc = w_enc0.clone().requires_grad_(True)
    b_enc = b_enc0.clone().requires_grad_(True)
    w_dec = w_dec0.clone().requires_grad_(True)
    b_dec = b_dec0.clone().requires_grad_(True)
    opt = torch.optim.Adam([w_enc, b_enc, w_dec, b_dec], lr=LR)
    var = float(((xb - xb.mean(0, keepdim=True)).pow(2).sum(1).mean() + (xm - xm.mean(0, keepdim=True)).pow(2).sum(1).mean()))
    per_epoch = N // BATCH
    losses, l0s, threshold = [], [], -1.0
    for step in range(STEPS):
        w = step % per_epoch
        bb, bm = xb[w * BATCH:(w + 1) * BATCH], xm[w * BATCH:(w + 1) * BATCH]
        z = torch.relu(bb @ w_enc[0] + bm @ w_enc[1] + b_enc)
        norms = w_dec.detach().pow(2).sum(2).sqrt().sum(0)
        scores = (z.detach() * norms).reshape(-1)
        idx = scores.topk(K * BATCH).indices
        mask = torch.zeros(BATCH * WIDTH).index_add_(0, idx, torch.ones(idx.shape[0])).view(BATCH, WIDTH)
        a = z * mask
        rb = a @ w_dec[0] + b_dec[0]
        rm = a @ w_dec[1] + b_dec[1]
        loss = ((rb - bb).pow(2).sum() + (rm - bm).pow(2).sum()) / (var * BATCH)
        opt.zero_grad()
        loss.backward()
        if step >= TSTART:
            picked = z.detach().reshape(-1)[idx]
            pos = picked[picked > 0]
            if pos.numel() > 0:
                m = float(pos.min())
                threshold = m if threshold < 0 else TBETA * threshold + (1 - TBETA) * m
        opt.step()
        losses.append(float(loss))
        l0s.append(float(mask.sum()) / BATCH)

    with torch.no_grad():
        th = max(threshold, 0.0)
        z = torch.relu(xb @ w_enc[0] + xm @ w_enc[1] + b_enc)
        f = z * (z > th).float()
        db, dm = w_dec[0], w_dec[1]
        rb = f @ db + b_dec[0]
        rm = f @ dm + b_dec[1]
        fvu_b = float((xb - rb).pow(2).sum() / (xb - xb.mean(0, keepdim=True)).pow(2).sum())
        fvu_m = float((xm - rm).pow(2).sum() / (xm - xm.mean(0, keepdim=True)).pow(2).sum())
        f2 = f.pow(2).sum(0)
        dd = dm.pow(2).sum(1)

        def beta(x, r, own, error):
            cross = (own * dm).sum(1)
            proj = ((x - r) if error else r) @ dm.T
            num = (f * proj).sum(0) + (f2 * cross if error else -f2 * cross)
            return (num / (dd * f2).clamp(min=1e-30)).tolist()

        nb, nm = db.norm(dim=1).tolist(), dm.norm(dim=1).tolist()
        rel = [((b - m) / max(b, m) + 1) / 2 if max(b, m) > 0 else 0.5 for b, m in zip(nb, nm)]
        ref = {"config": {"d": D, "n": N, "width": WIDTH, "k": K, "batch": BATCH, "steps": STEPS, "lr": LR,
                          "threshold_start": TSTART, "threshold_beta": TBETA},
               "scales": [s_b, s_m], "loss": losses, "l0": l0s, "threshold": th, "fvu_base": fvu_b, "fvu_model": fvu_m,
               "relative_norm": rel, "active": [float(v) > 0 for v in f2],
               "beta_error_base": beta(xb, rb, db, True), "beta_error_model": beta(xm, rm, dm, True),
               "beta_recon_base": beta(xb, rb, db, False), "beta_recon_model": beta(xm, rm, dm, False),
               "torch": torch.__version__}
    os.makedirs(OUT, exist_ok=True)
    save_file({"base": xb_raw.contiguous(), "model": xm_raw.contiguous(), "W_enc": w_enc0, "b_enc": b_enc0,
               "W_dec": w_dec0.contiguous(), "b_dec": b_dec0.contiguous()}, os.path.join(OUT, "data.safetensors"))
    with open(os.path.join(OUT, "reference.json"), "w") as fh:
        json.dump(ref, fh, indent=1)
    kinds = {"model_only": sum(r < 0.1 for r in rel), "base_only": sum(r > 0.9 for r in rel), "shared": sum(abs(r - 0.5) < 0.1 for r in rel)}
    print("loss", losses[0], "->", losses[-1], "fvu", fvu_b, fvu_m, "threshold", th, kinds)


if __name__ == "__main__":
    main()
