#!/usr/bin/env bash
# Training benchmark: tokens/s of Discern's Trainer vs PyTorch training the same GPT-2 shape with the
# same recipe (AdamW, clipping, cosine schedule) on the same machine and thread count, in one run.
# References: a minimal torch.nn module and HF transformers' GPT2LMHeadModel (Scripts/bench/train_ref.py).
#   Scripts/bench/train.sh [--threads N] [--repeats R] [--quick] [discern-bench train options…]
# Default shape: 4 layers, d_model 256, 4 heads, n_ctx 128, vocab 4096, batch 8 × 128 tokens.
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=$(nproc)
REPEATS=3
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --quick) EXTRA+=(--steps 5 --warmup-steps 2); REPEATS=1; shift ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
Scripts/setup >&2
PY=${DISCERN_PYTHON:-$PWD/.venv-dev/bin/python}
SCRATCH=${DISCERN_SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product discern-bench >&2
swift build -c release --scratch-path "$SCRATCH" --product CTorch >&2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/discern-bench"
# Both sides run with the thread-pool settings Discern applies to itself (idle threads sleep).
export OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4
"$BIN" train --threads "$THREADS" --repeats "$REPEATS" --python "$PY" ${EXTRA[@]+"${EXTRA[@]}"}
