#!/usr/bin/env python3
"""Attribution-graph parity fixture: circuit-tracer 0.5.0's own `attribute` on a tiny GPT-2.

Writes Tests/Fixtures/circuits/parity/, read by Tests/CircuitsTests/CircuitTracerParityTests.swift:

  model/config.json, model/model.safetensors
        a tiny GPT-2 (HF GPT2LMHeadModel, seeded random weights: 3 layers, d_model 32, 4 heads,
        vocab 100, 64 positions, BOS 0; initializer_range 0.2 and random LayerNorm weights/biases
        and linear biases, so that attention, the MLPs and the norms' affine parts all matter; the
        final LayerNorm's weight x3, so the next-token distribution is peaked and fewer than
        max_n_logits targets reach desired_logit_prob)
  plt/config.yaml, plt/layer_{0,1,2}.safetensors
        per-layer transcoders (circuit-tracer's PLT format), read ln2.hook_normalized, write
        hook_mlp_out, 48 features; layers 0 and 2 ReLU, layer 1 JumpReLU; W_skip on every layer
  clt/config.yaml, clt/W_enc_{i}.safetensors, clt/W_dec_{i}.safetensors
        a cross-layer transcoder (circuit-tracer's CLT format), reads hook_resid_mid, writes
        hook_mlp_out, 32 features per layer, JumpReLU (threshold_i), no skip
  <set>_<run>.safetensors for set in plt, clt and run in full, capped
        circuit-tracer's graph and its pruning:
          tokens [T] int64, active_features [n, 3] int64 (layer, pos, feature),
          activation_values [n], selected_features [F] int64 (indices into active_features),
          logit_tokens [K] int64, logit_probabilities [K],
          adjacency_index [nnz] int32 (target * N + source), adjacency_value [nnz]: the non-zero
              entries of circuit-tracer's dense N x N adjacency_matrix, stored sparsely to keep the
              fixture small (every other entry is exactly 0; about 16 % are non-zero),
          node_mask [N] uint8, edge_mask_index [m] int32 (target * N + source of the True
              entries of the dense edge mask), cumulative_scores [N]: prune_graph(graph, 0.8, 0.98),
          replacement_score [1], completeness_score [1]: compute_graph_scores(graph),
          last_logits [V]: the model's logits at the last position,
          options as 1-element int64/float64 tensors: max_n_logits, desired_logit_prob,
              batch_size, max_feature_nodes (-1: None), update_interval, node_threshold,
              edge_threshold
        and header metadata with the versions used.
  Node order of adjacency_matrix (rows = targets, columns = sources), from circuit_tracer.graph:
  [selected features (in active_features order) | error nodes (layer-major: layer * T + pos) |
   token embeddings (pos) | logits (in logit_tokens order)].

Run `full` visits every active feature (max_feature_nodes=None, batch_size 32); `capped` visits a
third of them (influence-ordered visiting with re-ranking every update_interval = 4 batches of
batch_size 8).

So that nothing in the comparison hinges on float rounding, the script keeps every pre-activation
at least MIN_MARGIN from its threshold (trying transcoder seeds in turn), and prints how far the
capped runs' queue boundaries are from a tie (replaying the visit with circuit-tracer's own
compute_partial_influences on the full run's rows) and how far prune_graph's cuts are from
flipping. Output on 2026-11-21: 256 (PLT) and 169 (CLT) active features, 8 logit targets,
smallest pre-activation margin 1.7e-3, smallest queue-boundary gap 0.56 % (relative influence),
prune cut shares >= 2.2e-5 from the thresholds; 569 KiB in all.

The model is built the way circuit-tracer's TransformerLens backend builds a pretrained one
(`from_pretrained_and_transcoders`: fold_ln=False, center_writing_weights=False,
center_unembed=False), with a hand-written HookedTransformerConfig and transformer_lens's own GPT-2
weight conversion, because HookedTransformer.from_pretrained knows only official model names.
Value biases are not folded either. The script checks that TransformerLens and the replacement
model reproduce HF's logits (<= 1e-5) before attributing.

Environment (throwaway, not a project dependency; CPU is enough):

  python3 -m venv /work/.venv-parity
  /work/.venv-parity/bin/pip install circuit-tracer==0.5.0 transformer-lens==2.18.0 "pyarrow<20"
  /work/.venv-parity/bin/python Scripts/dev/circuit_tracer_parity.py

transformer-lens is pinned to 2.x on purpose: pip's resolver otherwise picks transformer-lens 3.x
for circuit-tracer 0.5.0, whose LayerNorm fires `hook_normalized` BEFORE the weight and bias
(2.x: after), which silently changes what `ln2.hook_normalized` transcoders read. 2.18.0 wants
numpy<2, hence the older pyarrow for `datasets`. Resolved on 2026-11-21: torch 2.15.0,
transformers 4.57.3, nnsight 0.8.1, numpy 1.26.4, safetensors 0.8.0.
"""
import importlib.metadata as md
import os
import shutil
import sys

import torch
from safetensors.torch import save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "circuits", "parity")

N_LAYER, D, N_HEAD, VOCAB, N_POS = 3, 32, 4, 100, 64
D_PLT, D_CLT = 48, 32
PROMPT_LEN = 16
LN_F_SCALE = 3.0
NODE_THRESHOLD, EDGE_THRESHOLD = 0.8, 0.98
MAX_N_LOGITS, DESIRED_LOGIT_PROB = 10, 0.95
# The smallest |pre-activation - threshold| any feature may have on the prompt: keeps the active set
# independent of float rounding (Discern computes with libtorch 1.13 and another summation order).
MIN_MARGIN = 1e-3
# First transcoder seeds tried (the next ones are tried until MIN_MARGIN holds).
SEEDS = {"plt": 11, "clt": 13}


def tokenizer():
    """A word-level tokenizer "t0".."t99" (t0 = BOS/EOS/PAD): circuit-tracer decodes ids with it."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    tk = Tokenizer(models.WordLevel({f"t{i}": i for i in range(VOCAB)}, unk_token="t0"))
    tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="t0", eos_token="t0", pad_token="t0",
                                  unk_token="t0", add_bos_token=True)
    tok.init_kwargs["name_or_path"] = "tiny-gpt2-parity"  # TransformerLens's set_tokenizer reads it
    return tok


def make_hf_model(path):
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(20261122)
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=N_POS, n_embd=D, n_layer=N_LAYER, n_head=N_HEAD,
                     bos_token_id=0, eos_token_id=0, initializer_range=0.2)
    model = GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight"):
                p.copy_(1 + 0.3 * torch.randn_like(p))
            elif name.endswith("ln_f.weight"):
                # Larger logits: a peaked next-token distribution, so fewer than max_n_logits reach 0.95.
                p.copy_(LN_F_SCALE * (1 + 0.3 * torch.randn_like(p)))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
    if os.path.exists(path):
        shutil.rmtree(path)
    model.save_pretrained(path, safe_serialization=True)
    for f in os.listdir(path):
        if f not in ("config.json", "model.safetensors"):
            os.remove(os.path.join(path, f))
    # Use exactly what was written.
    return GPT2LMHeadModel.from_pretrained(path, attn_implementation="eager").eval()


def tl_config():
    from transformer_lens import HookedTransformerConfig
    return HookedTransformerConfig(
        n_layers=N_LAYER, d_model=D, n_ctx=N_POS, d_head=D // N_HEAD, n_heads=N_HEAD, d_mlp=4 * D,
        d_vocab=VOCAB, act_fn="gelu_new", normalization_type="LN", eps=1e-5,
        positional_embedding_type="standard", original_architecture="GPT2LMHeadModel",
        model_name="tiny-gpt2-parity", device="cpu", dtype=torch.float32, default_prepend_bos=False)


def tl_state_dict(hf, cfg):
    from transformer_lens.pretrained.weight_conversions import convert_gpt2_weights
    return convert_gpt2_weights(hf, cfg)


def hooked_transformer(hf):
    from transformer_lens import HookedTransformer
    cfg = tl_config()
    m = HookedTransformer(cfg, tokenizer=tokenizer())
    m.load_and_process_state_dict(tl_state_dict(hf, cfg), fold_ln=False, center_writing_weights=False,
                                  center_unembed=False, fold_value_biases=False)
    return m.eval()


def replacement_model(hf, transcoders):
    """circuit-tracer's TransformerLens replacement model around the converted weights: the same
    steps as TransformerLensReplacementModel.from_pretrained_and_transcoders (construct, load the
    unfolded weights, then wrap MLPs/unembed and install the gradient surgery)."""
    from circuit_tracer.replacement_model.replacement_model_transformerlens import TransformerLensReplacementModel
    cfg = tl_config()
    m = TransformerLensReplacementModel(cfg, tokenizer=tokenizer())
    m.load_and_process_state_dict(tl_state_dict(hf, cfg), fold_ln=False, center_writing_weights=False,
                                  center_unembed=False, fold_value_biases=False)
    m._configure_replacement_model(transcoders)
    return m.eval()


def write_plt(path, inputs, mlp_out, gen):
    """Per-layer transcoders scaled to the prompt's inputs: pre-activations ~ N(b, 1)."""
    os.makedirs(path, exist_ok=True)
    names = []
    for l in range(N_LAYER):
        x_rms = inputs[l][1:].pow(2).mean().sqrt()
        y_rms = mlp_out[l][1:].pow(2).mean().sqrt()
        t = {
            "W_enc": torch.randn(D_PLT, D, generator=gen) / (x_rms * D ** 0.5),
            "W_dec": torch.randn(D_PLT, D, generator=gen) * y_rms * 0.5,
            "b_dec": torch.randn(D, generator=gen) * y_rms * 0.1,
            "W_skip": torch.randn(D, D, generator=gen) * (0.5 / D ** 0.5) * (y_rms / x_rms),
        }
        if l == 1:
            t["b_enc"] = -1.0 + 0.2 * torch.randn(D_PLT, generator=gen)
            t["activation_function.threshold"] = 0.15 + 0.2 * torch.rand(D_PLT, generator=gen)
        else:
            t["b_enc"] = -1.2 + 0.2 * torch.randn(D_PLT, generator=gen)
        name = f"layer_{l}.safetensors"
        save_file({k: v.float().contiguous() for k, v in t.items()}, os.path.join(path, name))
        names.append(name)
    with open(os.path.join(path, "config.yaml"), "w") as f:
        f.write("# tiny per-layer transcoders for ../model (Scripts/dev/circuit_tracer_parity.py)\n"
                "model_kind: transcoder_set\nfeature_input_hook: ln2.hook_normalized\n"
                "feature_output_hook: hook_mlp_out\nmodel_name: tiny-gpt2-parity\ntranscoders:\n"
                + "".join(f"  - {n}\n" for n in names))
    from circuit_tracer.transcoder.single_layer_transcoder import load_transcoder_set
    return load_transcoder_set({l: os.path.join(path, n) for l, n in enumerate(names)}, scan="tiny-gpt2-parity/plt",
                               feature_input_hook="ln2.hook_normalized", feature_output_hook="hook_mlp_out",
                               device=torch.device("cpu"), dtype=torch.float32, lazy_encoder=False, lazy_decoder=False)


def write_clt(path, inputs, mlp_out, gen):
    os.makedirs(path, exist_ok=True)
    for l in range(N_LAYER):
        x_rms = inputs[l][1:].pow(2).mean().sqrt()
        y_rms = mlp_out[l][1:].pow(2).mean().sqrt()
        enc = {
            f"W_enc_{l}": torch.randn(D_CLT, D, generator=gen) / (x_rms * D ** 0.5),
            f"b_enc_{l}": -1.0 + 0.2 * torch.randn(D_CLT, generator=gen),
            f"b_dec_{l}": torch.randn(D, generator=gen) * y_rms * 0.1,
            f"threshold_{l}": 0.1 + 0.2 * torch.rand(D_CLT, generator=gen),
        }
        dec = {f"W_dec_{l}": torch.randn(D_CLT, N_LAYER - l, D, generator=gen) * y_rms * 0.4}
        save_file({k: v.float().contiguous() for k, v in enc.items()}, os.path.join(path, f"W_enc_{l}.safetensors"))
        save_file({k: v.float().contiguous() for k, v in dec.items()}, os.path.join(path, f"W_dec_{l}.safetensors"))
    with open(os.path.join(path, "config.yaml"), "w") as f:
        f.write("# tiny cross-layer transcoder for ../model (Scripts/dev/circuit_tracer_parity.py)\n"
                "model_kind: cross_layer_transcoder\nfeature_input_hook: hook_resid_mid\n"
                "feature_output_hook: hook_mlp_out\n")
    from circuit_tracer.transcoder.cross_layer_transcoder import load_clt
    return load_clt(path, feature_input_hook="hook_resid_mid", feature_output_hook="hook_mlp_out",
                    scan="tiny-gpt2-parity/clt", device=torch.device("cpu"), dtype=torch.float32,
                    lazy_decoder=False, lazy_encoder=False)


def smallest_margin(rm, tokens, kind):
    """The smallest |pre-activation - threshold| (threshold 0 for ReLU) after the BOS position."""
    _, pre = rm.get_activations(tokens, apply_activation_function=False)
    tc = rm.transcoders
    worst = float("inf")
    for l in range(N_LAYER):
        if kind == "plt":
            act = tc[l].activation_function
            thr = act.threshold.detach() if hasattr(act, "threshold") else torch.zeros(tc[l].d_transcoder)
        else:
            act = tc.activation_function
            thr = act.threshold.detach()[l, 0] if hasattr(act, "threshold") else torch.zeros(tc.d_transcoder)
        worst = min(worst, (pre[l][1:] - thr).abs().min().item())
    return worst


def run(rm, tokens, name, batch_size, max_feature_nodes, update_interval=4):
    from circuit_tracer import attribute
    from circuit_tracer.graph import compute_graph_scores, prune_graph
    g = attribute(tokens, rm, max_n_logits=MAX_N_LOGITS, desired_logit_prob=DESIRED_LOGIT_PROB,
                  batch_size=batch_size, max_feature_nodes=max_feature_nodes, update_interval=update_interval)
    a = g.adjacency_matrix.float()
    n = a.shape[0]
    n_sel, t, k = len(g.selected_features), len(g.input_tokens), len(g.logit_targets)
    assert n == n_sel + (N_LAYER + 1) * t + k
    pr = prune_graph(g, node_threshold=NODE_THRESHOLD, edge_threshold=EDGE_THRESHOLD)
    rep, comp = compute_graph_scores(g)
    nz = a.nonzero()
    logits = rm(tokens.unsqueeze(0))[0, -1].detach()
    tensors = {
        "tokens": g.input_tokens.long().cpu(),
        "active_features": g.active_features.long().cpu(),
        "activation_values": g.activation_values.float().cpu(),
        "selected_features": g.selected_features.long().cpu(),
        "logit_tokens": g.logit_token_ids.long().cpu(),
        "logit_probabilities": g.logit_probabilities.float().cpu(),
        "adjacency_index": (nz[:, 0] * n + nz[:, 1]).int(),
        "adjacency_value": a[nz[:, 0], nz[:, 1]].contiguous(),
        "node_mask": pr.node_mask.to(torch.uint8).cpu(),
        "edge_mask_index": (lambda e: (e[:, 0] * n + e[:, 1]).int())(pr.edge_mask.nonzero().cpu()),
        "cumulative_scores": pr.cumulative_scores.float().cpu(),
        "replacement_score": torch.tensor([rep], dtype=torch.float32),
        "completeness_score": torch.tensor([comp], dtype=torch.float32),
        "last_logits": logits.float().cpu(),
        "max_n_logits": torch.tensor([MAX_N_LOGITS]),
        "desired_logit_prob": torch.tensor([DESIRED_LOGIT_PROB], dtype=torch.float64),
        "batch_size": torch.tensor([batch_size]),
        "max_feature_nodes": torch.tensor([-1 if max_feature_nodes is None else max_feature_nodes]),
        "update_interval": torch.tensor([update_interval]),
        "node_threshold": torch.tensor([NODE_THRESHOLD], dtype=torch.float64),
        "edge_threshold": torch.tensor([EDGE_THRESHOLD], dtype=torch.float64),
    }
    meta = {p: md.version(p) for p in ("circuit-tracer", "torch", "transformer-lens", "transformers")}
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    save_file(tensors, os.path.join(OUT, f"{name}.safetensors"), metadata=meta)
    (ns, nv), (es, ev) = threshold_margins(g)
    print(f"{name}: prune margins: node cut share {ns:.1e}, value gap {nv:.1e}; edge cut share {es:.1e}, value gap {ev:.1e}")
    print(f"{name}: active {len(g.active_features)}, selected {n_sel}, logits {k} "
          f"(p = {[round(p, 4) for p in g.logit_probabilities.tolist()]}), N {n}, non-zero edges {len(nz)}, "
          f"kept nodes {int(pr.node_mask.sum())}, kept edges {int(pr.edge_mask.sum())}, "
          f"replacement {rep:.6f}, completeness {comp:.6f}")
    return g


def threshold_margins(g):
    """How far prune_graph's two cuts are from flipping, with circuit-tracer's own functions: for the
    node and the edge cut, the distance of the cumulative share on either side of the cut from the
    threshold, and the relative gap between the last score kept and the next one."""
    from circuit_tracer.graph import compute_edge_influence, compute_node_influence
    n_logits, n_tokens = len(g.logit_targets), len(g.input_tokens)
    w = torch.zeros(g.adjacency_matrix.shape[0])
    w[-n_logits:] = g.logit_probabilities

    def margins(scores, threshold):
        s = torch.sort(scores.flatten(), descending=True).values
        cum = torch.cumsum(s, 0) / s.sum()
        i = int(torch.searchsorted(cum, threshold))
        share = min(cum[i].item() - threshold, threshold - cum[i - 1].item() if i > 0 else 1.0)
        return share, ((s[i] - s[i + 1]) / s[i]).item()

    infl = compute_node_influence(g.adjacency_matrix, w)
    node = margins(infl, NODE_THRESHOLD)
    from circuit_tracer.graph import find_threshold
    mask = infl >= find_threshold(infl, NODE_THRESHOLD)
    mask[-n_logits - n_tokens:] = True
    pruned = g.adjacency_matrix.clone()
    pruned[~mask] = 0
    pruned[:, ~mask] = 0
    edge = margins(compute_edge_influence(pruned, w), EDGE_THRESHOLD)
    return node, edge


def ranking_gaps(full, capped, batch_size, max_feature_nodes, update_interval=4):
    """Replays the capped run's influence-ordered visiting on the full run's rows (a feature's row does
    not depend on which features were visited: phase 5 only drops unvisited columns) with
    circuit-tracer's own compute_partial_influences, checks that it selects what `attribute` selected,
    and returns the smallest relative influence gap at a queue boundary (between the last feature
    queued and the first one left out): how far the selection is from a tie."""
    from circuit_tracer.graph import compute_partial_influences
    a = full.adjacency_matrix
    n_active, k = len(full.active_features), len(full.logit_targets)
    n = a.shape[0]
    rows = list(range(n - k, n))  # logit rows first, as phase 3
    visited = torch.zeros(n_active, dtype=torch.bool)
    gaps = []
    while len(rows) - k < max_feature_nodes:
        infl = compute_partial_influences(a[rows], full.logit_probabilities, torch.tensor(rows), device="cpu")[:n_active]
        order = torch.argsort(infl, descending=True)
        order = order[~visited[order]]
        q = min(update_interval * batch_size, max_feature_nodes - (len(rows) - k))
        if q < len(order):
            gaps.append(((infl[order[q - 1]] - infl[order[q]]) / infl[order[q - 1]]).item())
        visited[order[:q]] = True
        rows += order[:q].tolist()
    assert torch.equal(torch.where(visited)[0], capped.selected_features.cpu()), "replay differs from attribute"
    return min(gaps), len(gaps)


def main():
    torch.set_grad_enabled(True)
    print("circuit-tracer", md.version("circuit-tracer"), "| torch", torch.__version__, "| transformer-lens",
          md.version("transformer-lens"), "| transformers", md.version("transformers"))
    os.makedirs(OUT, exist_ok=True)
    hf = make_hf_model(os.path.join(OUT, "model"))
    gen = torch.Generator().manual_seed(7)
    tokens = torch.cat([torch.tensor([0]), torch.randint(1, VOCAB, (PROMPT_LEN - 1,), generator=gen)])
    print("tokens", tokens.tolist())

    tl = hooked_transformer(hf)
    with torch.no_grad():
        hf_logits = hf(tokens.unsqueeze(0)).logits[0]
        tl_logits, cache = tl.run_with_cache(tokens.unsqueeze(0))
    diff = (tl_logits[0] - hf_logits).abs().max().item()
    print(f"TransformerLens vs HF logits: max |diff| {diff:.2e} (max |logit| {hf_logits.abs().max().item():.1f})")
    assert diff <= 1e-5
    ln2 = [cache[f"blocks.{l}.ln2.hook_normalized"][0] for l in range(N_LAYER)]
    mid = [cache[f"blocks.{l}.hook_resid_mid"][0] for l in range(N_LAYER)]
    mlp = [cache[f"blocks.{l}.hook_mlp_out"][0] for l in range(N_LAYER)]
    # TransformerLens 2.x: hook_normalized is the LayerNorm's output, weight and bias included.
    blk = hf.transformer.h[0]
    with torch.no_grad():
        ref = blk.ln_2(mid[0])
    assert (ref - ln2[0]).abs().max().item() <= 1e-5, "ln2.hook_normalized is not the LayerNorm output"

    for kind, write, inputs in (("plt", write_plt, ln2), ("clt", write_clt, mid)):
        # The first seed from SEEDS[kind] on whose transcoders every pre-activation clears MIN_MARGIN.
        seed = SEEDS[kind]
        while True:
            transcoders = write(os.path.join(OUT, kind), inputs, mlp, torch.Generator().manual_seed(seed))
            rm = replacement_model(hf, transcoders)
            margin = smallest_margin(rm, tokens, kind)
            if margin >= MIN_MARGIN:
                break
            seed += 1
        with torch.no_grad():
            diff = (rm(tokens.unsqueeze(0))[0] - hf_logits).abs().max().item()
        print(f"{kind}: transcoder seed {seed}; replacement model vs HF logits: max |diff| {diff:.2e}; "
              f"smallest |pre - threshold| {margin:.2e}")
        assert diff <= 1e-5
        full = run(rm, tokens, f"{kind}_full", batch_size=32, max_feature_nodes=None)
        cap = len(full.active_features) // 3
        capped = run(rm, tokens, f"{kind}_capped", batch_size=8, max_feature_nodes=cap)
        gap, rounds = ranking_gaps(full, capped, 8, cap)
        print(f"{kind}_capped: {rounds} rankings; smallest relative influence gap at a queue boundary {gap:.2e}")

    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"settings: max_n_logits {MAX_N_LOGITS}, desired_logit_prob {DESIRED_LOGIT_PROB}, update_interval 4, "
          f"node_threshold {NODE_THRESHOLD}, edge_threshold {EDGE_THRESHOLD}; fixture {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    sys.exit(main())
