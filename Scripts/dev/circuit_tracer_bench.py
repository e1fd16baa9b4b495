#!/usr/bin/env python3
"""circuit-tracer 0.5.0 on the circuits benchmark's own inputs: one timed `attribute` call, one JSON line.

  /work/.venv-parity/bin/python Scripts/dev/circuit_tracer_bench.py DIR [--threads N] [--warmup T]

DIR is what `discern-bench circuits --save DIR` wrote (Scripts/bench/circuits.sh --circuit-tracer PY
calls both): model/ (HF GPT-2 layout), transcoders/ (circuit-tracer's per-layer layout: config.yaml +
layer_{i}.safetensors), tokens.json (the token ids, BOS first), options.json (max_n_logits,
desired_logit_prob, batch_size, max_feature_nodes, update_interval) and discern.json (Discern's
times and graph size for the same inputs, from the same run).

The model is built as circuit-tracer's TransformerLens backend builds a pretrained one (no LayerNorm
folding, no centering, value biases not folded), from the HF weights through transformer_lens's own
GPT-2 conversion (HookedTransformer.from_pretrained knows only official model names); its logits are
checked against HF's. The transcoders are read with circuit-tracer's own `load_transcoder_set`, fully
in memory (no lazy loading), float32, CPU.

TopK: circuit-tracer 0.5.0 has a TopK activation module (transcoder/activation_functions.py) but its
per-layer file format and loaders do not know it: `load_relu_transcoder` makes ReLU (or JumpReLU when
the file has `activation_function.threshold`) and refuses the `k` tensor Discern writes for TopK
layers (load_state_dict: unexpected key). The benchmark's transcoders are TopK(16), so the script
loads k-less copies of the layer files with `load_transcoder_set` and then installs circuit-tracer's
own `TopK(k)` as each layer's activation, with k from config.yaml (`activation: topk`, `k`): the same
function Discern applies (the k largest pre-activations kept unchanged, no ReLU).

Timing: `attribute(tokens, model, max_n_logits, desired_logit_prob, batch_size, max_feature_nodes,
update_interval, verbose=True)` after a warm-up `attribute` on the first --warmup tokens (default 8;
0: none). circuit-tracer logs its phases; the script timestamps the log lines as they are written and
reports each phase from its "Phase k" line to its "completed" line (phase 5, the dense N x N graph,
from the feature phase's end to "Attribution completed"). Peak RSS is ru_maxrss of the process
(model, transcoders, warm-up and the timed run). Non-zero adjacency entries are counted on the dense
adjacency_matrix and compared with Discern's edge count (equal when both built the same graph: the
parity test in Tests/CircuitsTests/CircuitTracerParityTests.swift checks the edges themselves).

Output: one JSON line on stdout. On an allocation failure it prints {"error": "OOM", ...} and exits
3; any other failure propagates (exit 1).

Environment: see Scripts/dev/circuit_tracer_parity.py (throwaway venv with circuit-tracer 0.5.0,
transformer-lens 2.18.0; not a project dependency).
"""
import argparse
import contextlib
import importlib.metadata as md
import json
import os
import re
import resource
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir", help="directory written by discern-bench circuits --save")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads (default: all cores)")
    p.add_argument("--warmup", type=int, default=8, help="tokens of the warm-up attribution (0: none)")
    return p.parse_args()


def word_tokenizer(vocab, bos):
    """A word-level tokenizer "t0".."t{vocab-1}": circuit-tracer decodes ids and reads BOS from it."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    tk = Tokenizer(models.WordLevel({f"t{i}": i for i in range(vocab)}, unk_token=f"t{bos}"))
    tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    b = f"t{bos}"
    # add_bos_token: TransformerLens otherwise fetches a BOS-adding copy of the tokenizer from the Hub.
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token=b, eos_token=b, pad_token=b, unk_token=b,
                                  add_bos_token=True)
    tok.init_kwargs["name_or_path"] = "discern-bench-gpt2"  # TransformerLens's set_tokenizer reads it
    return tok


def tl_config(hf_cfg, torch):
    from transformer_lens import HookedTransformerConfig
    d, h = hf_cfg.n_embd, hf_cfg.n_head
    return HookedTransformerConfig(
        n_layers=hf_cfg.n_layer, d_model=d, n_ctx=hf_cfg.n_positions, d_head=d // h, n_heads=h,
        d_mlp=hf_cfg.n_inner or 4 * d, d_vocab=hf_cfg.vocab_size, act_fn=hf_cfg.activation_function,
        normalization_type="LN", eps=hf_cfg.layer_norm_epsilon, positional_embedding_type="standard",
        original_architecture="GPT2LMHeadModel", model_name="discern-bench-gpt2", device="cpu",
        dtype=torch.float32, default_prepend_bos=False)


def load_transcoders(path, torch, scratch):
    """circuit-tracer's load_transcoder_set on the set at `path` (TopK installed after loading, see
    the module docstring). Returns the TranscoderSet and a description of the activation."""
    import yaml
    from safetensors.torch import load_file, save_file
    from circuit_tracer.transcoder.activation_functions import TopK
    from circuit_tracer.transcoder.single_layer_transcoder import load_transcoder_set
    with open(os.path.join(path, "config.yaml")) as f:
        cfg = yaml.safe_load(f)
    assert cfg["model_kind"] == "transcoder_set", f"per-layer transcoders expected, got {cfg['model_kind']}"
    names = cfg.get("transcoders") or sorted((n for n in os.listdir(path) if re.fullmatch(r"layer_\d+\.safetensors", n)),
                                              key=lambda n: int(n[6:-12]))
    files = {}
    for layer, name in enumerate(names):
        src = os.path.join(path, name)
        tensors = load_file(src)
        if "k" in tensors:  # circuit-tracer 0.5.0's loader refuses it: load a copy without it
            del tensors["k"]
            src = os.path.join(scratch, f"layer_{layer}.safetensors")
            save_file(tensors, src)
        files[layer] = src
    tc = load_transcoder_set(files, scan="discern-bench", feature_input_hook=cfg["feature_input_hook"],
                             feature_output_hook=cfg["feature_output_hook"], device=torch.device("cpu"),
                             dtype=torch.float32, lazy_encoder=False, lazy_decoder=False)
    activation = "relu/jumprelu"
    if str(cfg.get("activation", "")).lower() == "topk":
        k = int(cfg["k"])
        for t in tc.transcoders:
            t.activation_function = TopK(k)
        activation = f"topk({k})"
    return tc, activation


def replacement_model(hf, transcoders, tokenizer, torch):
    """circuit-tracer's TransformerLens replacement model around the HF weights, unfolded: the steps of
    TransformerLensReplacementModel.from_pretrained_and_transcoders for a model it cannot name."""
    from transformer_lens.pretrained.weight_conversions import convert_gpt2_weights
    from circuit_tracer.replacement_model.replacement_model_transformerlens import TransformerLensReplacementModel
    cfg = tl_config(hf.config, torch)
    m = TransformerLensReplacementModel(cfg, tokenizer=tokenizer)
    m.load_and_process_state_dict(convert_gpt2_weights(hf, cfg), fold_ln=False, center_writing_weights=False,
                                  center_unembed=False, fold_value_biases=False)
    m._configure_replacement_model(transcoders)
    return m.eval()


class StampedLog:
    """Stands in for stderr during `attribute`: keeps each line of circuit-tracer's log with the time
    it was written (tqdm's progress bar is dropped)."""

    def __init__(self):
        self.lines, self.partial = [], ""

    def write(self, s):
        now = time.perf_counter()
        self.partial += s
        while "\n" in self.partial:
            line, self.partial = self.partial.split("\n", 1)
            if "\r" not in line and "it/s" not in line:
                self.lines.append((now, line.strip()))
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def phases(self, start, end):
        """Phase times in seconds from the line timestamps; the logged two-decimal values as well."""
        def at(prefix):
            return next((t for t, line in self.lines if line.startswith(prefix)), None)
        marks = [("precompute", "Phase 0", "Precomputation completed"), ("forward", "Phase 1", "Forward pass completed"),
                 ("input_vectors", "Phase 2", "Input vectors built"), ("logit_rows", "Phase 3", "Logit attributions completed"),
                 ("feature_rows", "Phase 4", "Feature attributions completed")]
        out = {}
        for name, a, b in marks:
            ta, tb = at(a), at(b)
            out[name] = None if ta is None or tb is None else tb - ta
        tf, tdone = at("Feature attributions completed"), at("Attribution completed")
        out["graph"] = None if tf is None or tdone is None else tdone - tf
        out["outside_phases"] = (end - start) - sum(v for v in out.values() if v is not None)
        logged = {m.group(1): float(m.group(2)) for _, line in self.lines
                  for m in [re.match(r"(.*) (?:completed|built) in ([0-9.]+)s$", line)] if m}
        return out, logged


def main():
    args = parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; never wait on the network
    import torch
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(True)
    from transformers import GPT2LMHeadModel
    from circuit_tracer import attribute

    with open(os.path.join(args.dir, "tokens.json")) as f:
        tokens = torch.tensor(json.load(f), dtype=torch.long)
    with open(os.path.join(args.dir, "options.json")) as f:
        opts = json.load(f)
    hf = GPT2LMHeadModel.from_pretrained(os.path.join(args.dir, "model"), attn_implementation="eager",
                                         dtype=torch.float32).eval()
    bos = hf.config.bos_token_id if hf.config.bos_token_id is not None else int(tokens[0])
    assert int(tokens[0]) == bos, "the prompt must start with BOS (circuit-tracer zeroes position 0)"
    tokenizer = word_tokenizer(hf.config.vocab_size, bos)
    with tempfile.TemporaryDirectory() as scratch:
        transcoders, activation = load_transcoders(os.path.join(args.dir, "transcoders"), torch, scratch)
        rm = replacement_model(hf, transcoders, tokenizer, torch)
    # The replacement model must reproduce the model (checked on the warm-up prefix, cheap).
    probe = tokens[: max(args.warmup, 8)]
    with torch.no_grad():
        diff = (rm(probe.unsqueeze(0))[0] - hf(probe.unsqueeze(0)).logits[0]).abs().max().item()
    assert diff <= 1e-4, f"replacement model vs HF logits differ by {diff:.2e}"

    kw = dict(max_n_logits=opts["max_n_logits"], desired_logit_prob=opts["desired_logit_prob"],
              batch_size=opts["batch_size"], max_feature_nodes=opts["max_feature_nodes"],
              update_interval=opts.get("update_interval", 4))
    warmup = None
    if args.warmup > 0:
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(StampedLog()):
            attribute(tokens[: args.warmup], rm, **kw)
        warmup = time.perf_counter() - t0

    log = StampedLog()
    try:
        with contextlib.redirect_stderr(log):
            t0 = time.perf_counter()
            g = attribute(tokens, rm, verbose=True, **kw)
            t1 = time.perf_counter()
    except (MemoryError, RuntimeError) as e:
        if isinstance(e, RuntimeError) and "alloc" not in str(e).lower():
            raise
        print(json.dumps({"error": "OOM", "tokens": len(tokens), "message": str(e)[:200],
                          "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        return 3
    phases, logged = log.phases(t0, t1)

    a = g.adjacency_matrix
    nonzero = sum(int(torch.count_nonzero(a[i: i + 1024])) for i in range(0, a.shape[0], 1024))
    n_sel = len(g.selected_features)
    out = {
        "tool": "circuit-tracer", "version": md.version("circuit-tracer"), "torch": torch.__version__,
        "threads": torch.get_num_threads(), "activation": activation, "tokens": len(tokens),
        "total_s": t1 - t0, "warmup_s": warmup, "warmup_tokens": args.warmup if warmup is not None else 0,
        "phases_s": phases, "logged_phases_s": logged,
        "feature_rows": n_sel, "rows_per_s": n_sel / phases["feature_rows"] if phases["feature_rows"] else None,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "nodes": a.shape[0], "active_features": len(g.active_features), "logits": len(g.logit_targets),
        "nonzero_edges": nonzero, "options": kw,
    }
    discern = os.path.join(args.dir, "discern.json")
    if os.path.exists(discern):
        with open(discern) as f:
            d = json.load(f)
        out["discern"] = {k: d.get(k) for k in ("total_s", "phases_s", "feature_rows", "nodes", "active_features", "edges", "peak_rss_mib")}
        out["same_graph_size"] = (d.get("edges") == nonzero and d.get("nodes") == a.shape[0]
                                  and d.get("active_features") == len(g.active_features))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
