#!/usr/bin/env bash
# Foundation benchmarks: per-op overhead (C++ vs Swift vs Lua) and 1024² matmul vs raw OpenBLAS.
set -euo pipefail
cd "$(dirname "$0")/../.."
Scripts/setup
swift build -c release --product discern-bench >&2
swift build -c release --product CTorch >&2
"$(swift build -c release --show-bin-path)/discern-bench"
