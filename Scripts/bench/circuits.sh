#!/usr/bin/env bash
# Attribution-graph benchmark: time per phase and peak memory vs prompt length, one process per length
# (peak RSS is per process). Default: a GPT-2 of the `small` organism's shape (4 layers, d_model 128,
# vocab 1024) with TopK(16) transcoders of width 2048, max_feature_nodes 4096, batch 64; the no-cone
# reference (sweeps over all positions and layers, as circuit-tracer's backward passes) runs in the same
# process on the same graph, up to 1,024 tokens (beyond, it would take most of the run).
# --circuit-tracer PY: each length's run also saves its model, transcoders, tokens and options
# (`--save`), Scripts/dev/circuit_tracer_bench.py attributes them with circuit-tracer 0.5.0 under
# PY (a separate venv, see Scripts/dev/circuit_tracer_parity.py) on the same threads, and a second
# table compares the two. Each circuit-tracer run gets --ct-timeout seconds (default 900) and at most
# --ct-mem-mb MiB of address space (default 3/4 of RAM); past either, the table says timeout or OOM.
# --ct-dir DIR keeps each length's inputs and both sides' JSON (DIR/<tokens>/) instead of a temp dir.
#   Scripts/bench/circuits.sh [--lengths "16 64 256 1024 4096"] [--organism DIR] [--quick] [--threads N]
#                             [--circuit-tracer PY [--ct-timeout S] [--ct-mem-mb M] [--ct-dir DIR]]
#                             [discern-bench circuits options…]
set -euo pipefail
cd "$(dirname "$0")/../.."
LENGTHS="16 64 256 1024 4096"
EXTRA=()
THREADS=""
CT_PY=""
CT_DIR=""
CT_TIMEOUT=900
CT_MEM_MB=$(awk '/MemTotal/ { print int($2 * 3 / 4 / 1024) }' /proc/meminfo)
while [ $# -gt 0 ]; do
  case "$1" in
    --lengths) LENGTHS=$2; shift 2 ;;
    --quick) LENGTHS="16 64"; shift ;;
    --threads) THREADS=$2; EXTRA+=("$1" "$2"); shift 2 ;;
    --circuit-tracer) CT_PY=$2; shift 2 ;;
    --ct-timeout) CT_TIMEOUT=$2; shift 2 ;;
    --ct-mem-mb) CT_MEM_MB=$2; shift 2 ;;
    --ct-dir) CT_DIR=$2; shift 2 ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
if [ -n "$CT_PY" ]; then
  "$CT_PY" -c 'import circuit_tracer' 2>/dev/null || { echo "circuits.sh: $CT_PY cannot import circuit_tracer" >&2; exit 1; }
  if [ -z "$CT_DIR" ]; then
    CT_DIR=$(mktemp -d)
    trap 'rm -rf "$CT_DIR"' EXIT
  fi
fi
Scripts/setup >&2
SCRATCH=${DISCERN_SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product discern-bench >&2
swift build -c release --scratch-path "$SCRATCH" --product CTorch >&2
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/discern-bench"
export OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4
echo "Attribution graphs vs prompt length (${THREADS:-$(nproc)} threads; times in seconds; the no-cone column is the reference)"
"$BIN" circuits --header 1
for t in $LENGTHS; do
  ref=0
  [ "$t" -le 1024 ] && ref=1
  if [ -z "$CT_PY" ]; then
    "$BIN" circuits --tokens "$t" --reference "$ref" ${EXTRA[@]+"${EXTRA[@]}"}
    continue
  fi
  d="$CT_DIR/$t"
  "$BIN" circuits --tokens "$t" --reference "$ref" --save "$d" ${EXTRA[@]+"${EXTRA[@]}"}
  rc=0
  ( ulimit -v $((CT_MEM_MB * 1024)); exec timeout "$CT_TIMEOUT" "$CT_PY" Scripts/dev/circuit_tracer_bench.py "$d" \
      --threads "${THREADS:-$(nproc)}" ) >"$d/circuit_tracer.json" 2>"$d/circuit_tracer.log" || rc=$?
  echo "$rc" >"$d/circuit_tracer.rc"
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || tail -n 5 "$d/circuit_tracer.log" | sed "s/^/circuit-tracer, $t tokens: /" >&2
done
[ -n "$CT_PY" ] || exit 0
echo
echo "circuit-tracer $("$CT_PY" -c 'import importlib.metadata as m; print(m.version("circuit-tracer"))') on the same model (CPU, same threads: ${THREADS:-$(nproc)}; times in seconds; ratio = circuit-tracer / Discern)"
"$CT_PY" - "$CT_DIR" "$CT_TIMEOUT" $LENGTHS <<'PY'
import json, os, sys
root, timeout, lengths = sys.argv[1], sys.argv[2], sys.argv[3:]
print("| tokens | circuit-tracer total s | its feature rows s | its rows/s | its other phases s (precompute / forward / logit rows / dense graph) | its peak RSS MiB "
      "| Discern total s | Discern feature rows s | total ratio | feature rows ratio | edges (circuit-tracer / Discern) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for t in lengths:
    d = os.path.join(root, t)
    discern = json.load(open(os.path.join(d, "discern.json")))
    rc = int(open(os.path.join(d, "circuit_tracer.rc")).read())
    dt, df = discern["total_s"], discern["phases_s"]["feature_rows"]
    ct = None
    if rc in (0, 3):
        try:
            ct = json.loads(open(os.path.join(d, "circuit_tracer.json")).read().strip().splitlines()[-1])
        except (ValueError, IndexError):
            rc = -1
    if rc == 0 and ct and "error" not in ct:
        p = ct["phases_s"]
        other = " / ".join(f"{p[k]:.2f}" for k in ("precompute", "forward", "logit_rows", "graph"))
        same = "" if ct.get("same_graph_size") else " (differ)"
        print(f"| {t} | {ct['total_s']:.2f} | {p['feature_rows']:.2f} | {ct['rows_per_s']:.0f} | {other} | {ct['peak_rss_mib']:.0f} "
              f"| {dt:.2f} | {df:.2f} | {ct['total_s'] / dt:.1f}× | {p['feature_rows'] / df:.1f}× "
              f"| {ct['nonzero_edges']} / {discern['edges']}{same} |")
        continue
    if rc == 124:
        status = f"timeout (> {timeout} s)"
    elif rc == 3 or rc == 137 or rc == -9:
        status = "OOM" + (f" (peak RSS {ct['peak_rss_mib']:.0f} MiB)" if ct and "peak_rss_mib" in ct else " (killed)")
    else:
        status = f"error (exit {rc})"
    print(f"| {t} | {status} | - | - | - | - | {dt:.2f} | {df:.2f} | - | - | - / {discern['edges']} |")
PY
