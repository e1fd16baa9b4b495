#!/usr/bin/env bash
# Builds the torch backend (libCTorch.so) with CMake against any libtorch.
#   Scripts/build-torch-backend.sh                         # Debian's libtorch (CPU)
#   Scripts/build-torch-backend.sh --torch-dir DIR         # DIR = a PyTorch install's torch/ folder (CUDA ok)
#   Scripts/build-torch-backend.sh --out DIR               # where libCTorch.so goes (default build/torch-backend)
#   --cxx11-abi 0|1: the wheel's _GLIBCXX_USE_CXX11_ABI (default 1; torch._C._GLIBCXX_USE_CXX11_ABI tells)
# Then run discern with it:  DISCERN_TORCH_BACKEND=<out>/libCTorch.so discern doctor
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
torch_dir=""
abi=""
out="$root/build/torch-backend"
while [ $# -gt 0 ]; do
  case "$1" in
    --torch-dir) torch_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --cxx11-abi) abi="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "build-torch-backend: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v cmake >/dev/null || { echo "build-torch-backend: cmake missing; run Scripts/setup" >&2; exit 1; }
if [ -n "$torch_dir" ] && [ ! -f "$torch_dir/include/ATen/ATen.h" ]; then
  echo "build-torch-backend: $torch_dir has no include/ATen/ATen.h (pass the torch package folder," \
       "e.g. \$(python -c 'import torch, os; print(os.path.dirname(torch.__file__))'))" >&2
  exit 1
fi
mkdir -p "$out"
build="$out/cmake-build"
cmake -S "$root/Sources/CTorch/cmake" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DDISCERN_SOURCES="$root/Sources" ${torch_dir:+-DTORCH_DIR="$torch_dir"} ${abi:+-DTORCH_CXX11_ABI="$abi"} >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
cp "$build/libCTorch.so" "$out/libCTorch.so"
echo "$out/libCTorch.so"
