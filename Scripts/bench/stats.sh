#!/usr/bin/env bash
# Statistics benchmarks: SAFFRON / LORD++ / ADDIS over a seeded stream of 10^6 p-values (1% signals,
# Z ~ N(3, 1)) and 10^5 Fisher exact tests on random 2x2 tables, Discern against PyPI online-fdr and
# scipy on the same inputs in the same run. online-fdr runs on a prefix (pure Python, per-test cost
# grows with the rejections); the table gives the ratio on that prefix and Discern's time on the
# whole stream. A second row set (--heavy) uses 5% signals at Z ~ N(4, 1): tens of thousands of
# rejections, where the exact (reference-order) level sums cost O(rejections) per test.
#   Scripts/bench/stats.sh [--prefix N] [--heavy]
set -euo pipefail
cd "$(dirname "$0")/../.."
PREFIX=200000
HEAVY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --heavy) HEAVY=1; shift ;;
    *) echo "usage: $0 [--prefix N] [--heavy]" >&2; exit 2 ;;
  esac
done
Scripts/setup >&2
PY=.venv-dev/bin/python
"$PY" -c "import online_fdr, scipy" 2>/dev/null || "$PY" -m pip install --quiet online-fdr==1.0.0 scipy >&2
swift build -c release --product discern-bench >&2
BIN="$(swift build -c release --show-bin-path)/discern-bench"
WORK=${DISCERN_BENCH_DIR:-/tmp/discern-bench-stats}
run() {
  local dir=$1; shift
  mkdir -p "$dir"
  "$BIN" stats --dir "$dir" --prefix "$PREFIX" "$@" > "$dir/discern.jsonl"
  "$PY" Scripts/bench/stats_ref.py run "$dir" --prefix "$PREFIX" > "$dir/ref.jsonl"
  "$PY" Scripts/bench/stats_ref.py report "$dir/discern.jsonl" "$dir/ref.jsonl"
}
echo "## 10^6 p-values, 1% signals (Z ~ N(3, 1)); 10^5 Fisher exact tests"
run "$WORK/light"
if [ "$HEAVY" = 1 ]; then
  echo
  echo "## 10^6 p-values, 5% signals (Z ~ N(4, 1)): many rejections"
  run "$WORK/heavy" --pi1 0.05 --mu 4 --fisher 0
fi
