#!/usr/bin/env bash
# Model benchmarks: generation throughput (new tokens/s) at batch 1, 8 and 64 and scoring
# throughput (tokens/s), Discern vs HF transformers `generate`, same machine, same thread count,
# one run. Models: a random GPT-2-small-shaped model (124M) and the tiny GPT-2 test fixture.
# Also prints the memory-bandwidth floor for the measured shape.
#   Scripts/bench/models.sh [--threads N] [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=$(nproc)
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    *) echo "usage: $0 [--threads N] [--quick]" >&2; exit 2 ;;
  esac
done
Scripts/setup >&2
PY=.venv-dev/bin/python
swift build -c release --product discern-bench >&2
swift build -c release --product CTorch >&2
BIN="$(swift build -c release --show-bin-path)/discern-bench"
WORK=${DISCERN_BENCH_DIR:-/tmp/discern-bench-models}
mkdir -p "$WORK"
[ -f "$WORK/gpt2-small/model.safetensors" ] || "$PY" Scripts/bench/hf_models.py make "$WORK/gpt2-small" >&2
OUT="$WORK/results.jsonl"
: > "$OUT"
BATCHES=1,8,64; NEW=32
[ "$QUICK" = 1 ] && { BATCHES=1,8; NEW=8; }
for spec in "gpt2-small:$WORK/gpt2-small" "tiny:Tests/Fixtures/models/gpt2"; do
  label=${spec%%:*}; dir=${spec#*:}
  echo "measuring $label (threads $THREADS)…" >&2
  "$BIN" models --dir "$dir" --label "$label" --threads "$THREADS" --batches "$BATCHES" --new-tokens "$NEW" \
    | sed 's/^/{"impl":"discern",/; s/,{/,/' >> "$OUT"
  "$PY" Scripts/bench/hf_models.py run "$dir" --label "$label" --threads "$THREADS" --batches "$BATCHES" --new-tokens "$NEW" \
    2> >(grep -v -i warn >&2) | sed 's/^/{"impl":"hf",/; s/,{/,/' >> "$OUT"
  # HF again with the thread-pool settings Discern applies (idle OpenMP/OpenBLAS threads sleep).
  OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4 "$PY" Scripts/bench/hf_models.py run "$dir" --label "$label" \
    --threads "$THREADS" --batches "$BATCHES" --new-tokens "$NEW" \
    2> >(grep -v -i warn >&2) | sed 's/^/{"impl":"hf-env",/; s/,{/,/' >> "$OUT"
done
"$PY" - "$OUT" "$THREADS" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def get(impl, model, kind, batch=None):
    for r in rows:
        if r["impl"] == impl and r["model"] == model and r["kind"] == kind and (batch is None or r.get("batch") == batch):
            return r
print(f"Generation throughput, new tokens/s (top-k 50 sampling, prompt 16 tokens, threads {sys.argv[2]}); target ≥ 1.5× HF at batch ≥ 8")
print("HF = transformers 4.44 generate as shipped; HF* = the same with OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4 (what Discern sets)")
print("| model      | batch | discern | HF generate | ratio | HF*    | ratio* |")
print("|------------|-------|---------|-------------|-------|--------|--------|")
for model in ["gpt2-small", "tiny"]:
    for r in [r for r in rows if r["impl"] == "discern" and r["model"] == model and r["kind"] == "generate"]:
        h = get("hf", model, "generate", r["batch"])
        e = get("hf-env", model, "generate", r["batch"])
        d = r["new_tokens_per_s"]
        print(f"| {model:10} | {r['batch']:5} | {d:7.1f} | {h['new_tokens_per_s']:11.1f} | {d/h['new_tokens_per_s']:5.2f} "
              f"| {e['new_tokens_per_s']:6.1f} | {d/e['new_tokens_per_s']:6.2f} |")
print("\nScoring throughput, tokens/s (8 sequences × 128 tokens, or the context if shorter)")
print("| model      | discern | HF forward | ratio | HF*    | ratio* |")
print("|------------|---------|------------|-------|--------|--------|")
for model in ["gpt2-small", "tiny"]:
    d, h, e = get("discern", model, "score"), get("hf", model, "score"), get("hf-env", model, "score")
    print(f"| {model:10} | {d['tokens_per_s']:7.0f} | {h['tokens_per_s']:10.0f} | {d['tokens_per_s']/h['tokens_per_s']:5.2f} "
          f"| {e['tokens_per_s']:6.0f} | {d['tokens_per_s']/e['tokens_per_s']:6.2f} |")
b = get("discern", "gpt2-small", "bandwidth")
step = b["weight_bytes"] / b["bytes_per_s"]
print(f"\nBandwidth floor (gpt2-small): weights {b['weight_bytes']/1e6:.0f} MB per decoding step, copy bandwidth {b['bytes_per_s']/1e9:.1f} GB/s"
      f" → ≥ {step*1e3:.1f} ms per step; ceiling {1/step:.1f} steps/s, i.e. batch × {1/step:.1f} new tokens/s while weight-bound")
PYEOF
