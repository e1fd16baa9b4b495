#!/usr/bin/env bash
# Attribution-graph benchmark: time per phase and peak memory vs prompt length, one process per length
# (peak RSS is per process). Default: a GPT-2 of the `small` organism's shape (4 layers, d_model 128,
# vocab 1024) with TopK(16) transcoders of width 2048, max_feature_nodes 4096, batch 64; the no-cone
# reference (sweeps over all positions and layers, as circuit-tracer's backward passes) runs in the same
# process on the same graph, up to 1,024 tokens (beyond, it would take most of the run).
#   Scripts/bench/circuits.sh [--lengths "16 64 256 1024 4096"] [--organism DIR] [--quick] [discern-bench circuits options…]
set -euo pipefail
cd "$(dirname "$0")/../.."
LENGTHS="16 64 256 1024 4096"
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lengths) LENGTHS=$2; shift 2 ;;
    --quick) LENGTHS="16 64"; shift ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
Scripts/setup >&2
SCRATCH=${DISCERN_SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product discern-bench >&2
swift build -c release --scratch-path "$SCRATCH" --product CTorch >&2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/discern-bench"
export OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4
echo "Attribution graphs vs prompt length ($(nproc) threads; times in seconds; the no-cone column is the reference)"
"$BIN" circuits --header 1
for t in $LENGTHS; do
  ref=0
  [ "$t" -le 1024 ] && ref=1
  "$BIN" circuits --tokens "$t" --reference "$ref" ${EXTRA[@]+"${EXTRA[@]}"}
done
