#!/usr/bin/env bash
# Behavioural-core benchmarks, each against its reference in the same run with the same threads
# (OPENBLAS/OMP threads = 2 for both sides unless THREADS is set):
#   * k-means: 10^5 x 384 float32, K = 100, 20 Lloyd iterations from the same given centres, tol 0, against
#     scikit-learn KMeans(algorithm="lloyd", init=<same centres>, n_init=1, max_iter=20, tol=0). Both stop early
#     only if the labels stop changing (the iteration counts are printed).
#   * embedding throughput: discern's Embedder (all-MiniLM-L6-v2, Embedder.findMiniLM()) against
#     sentence-transformers on the same 2000 texts, batch 32. sentence-transformers is installed into the venv
#     when missing (a version that imports with its torch/transformers); if it cannot be imported, the reference
#     is HF transformers with mean pooling, and the table says so.
#   OpenBLAS kernels: Debian's OpenBLAS 0.3.21 (which Discern links) takes an unrecognised virtual Xeon for
#   a Prescott (SSE3) and runs ~3x slower sgemm than numpy's bundled OpenBLAS (Haswell kernels). The script
#   therefore exports OPENBLAS_CORETYPE (SkylakeX with AVX-512, else Haswell with AVX2) for BOTH sides, so
#   both run the same kernel family; set OPENBLAS_CORETYPE yourself to override.
#   * sampler overhead: generated tokens/s of discern.sampling.sample (no store, a fresh store, all cached)
#     against model:generate on the GPT-2 fixture (Scripts/bench/sampling.lua); target ≥ 0.95 without a store.
#   Scripts/bench/behavior.sh            (BENCH_N=20000 for a quicker, smaller k-means)
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${THREADS:-2}
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
PY=${DISCERN_PYTHON:-.venv-dev/bin/python}
export DISCERN_PYTHON=$PY
"$PY" -c "import sklearn" 2>/dev/null || "$PY" -m pip install --quiet scikit-learn >&2
"$PY" -c "import sentence_transformers" 2>/dev/null || "$PY" -m pip install --quiet "sentence-transformers<3" >&2 || true
swift build -c release --product discern-bench >&2
swift build -c release --product CTorch >&2
BIN="$(swift build -c release --show-bin-path)/discern-bench"
WORK=${DISCERN_BENCH_DIR:-/tmp/discern-bench-behavior}
mkdir -p "$WORK"
MINILM_DIR=$("$BIN" behavior --find-minilm)
"$PY" Scripts/bench/behavior_ref.py prepare "$WORK"
"$BIN" behavior "$WORK" --threads "$THREADS" > "$WORK/discern.jsonl"
MINILM_DIR="$MINILM_DIR" "$PY" Scripts/bench/behavior_ref.py run "$WORK" > "$WORK/ref.jsonl"
echo "## k-means and embedding throughput, $THREADS threads, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}"
"$PY" Scripts/bench/behavior_ref.py report "$WORK/discern.jsonl" "$WORK/ref.jsonl"
echo
echo "## sampler overhead (discern.sampling.sample against model:generate, same prompts and settings)"
swift build -c release --product discern >&2
"$(swift build -c release --show-bin-path)/discern" run Scripts/bench/sampling.lua Tests/Fixtures/models/gpt2 128 4 32 3
