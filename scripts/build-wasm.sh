#!/usr/bin/env bash
# Builds native/wasm/smelu.wasm, the WebAssembly SIMD128 tier, from the shared kernel sources with
# Debian's clang 14 + lld + wasi-libc headers + libc++ headers (apt-get install clang lld wasi-libc
# libclang-rt-14-dev-wasm32 libc++-14-dev-wasm32). No C or C++ library is linked (the kernels only
# use header templates), so the output depends on the sources and the compiler version alone.
#   scripts/build-wasm.sh            rebuild the shipped file
#   scripts/build-wasm.sh --check    rebuild into a temporary file and fail if it differs
set -euo pipefail
cd "$(dirname "$0")/.."

CXX="${WASM_CXX:-clang++-14}"
LD="${WASM_LD:-wasm-ld-14}"
OUT=native/wasm/smelu.wasm
SOURCES=(native/wasm/entry.cc native/wasm/gemm_wasm.cc native/wasm/libc_shim.cc
         native/kernels/act/act_params.cc native/kernels/optim/optim_params.cc)
# -ffp-contract=off: no multiply-add is fused behind the kernels' back (base SIMD128 has no FMA
# anyway). -matomics/-mbulk-memory: required to import a shared memory (threads).
CXXFLAGS=(--target=wasm32-wasi -O3 -msimd128 -matomics -mbulk-memory -std=c++17 -fno-exceptions
          -fno-rtti -fno-threadsafe-statics -ffp-contract=off -DNDEBUG)
# 1 MiB initial memory: the stack (256 KiB, first, so an overflow traps instead of corrupting data)
# and the constants; lib/backend/wasm.ts lays out everything above __heap_base itself.
LDFLAGS=(--no-entry --import-memory --shared-memory --max-memory=4294967296 --initial-memory=1048576
         -z stack-size=262144 --stack-first --export=__heap_base --strip-all)

check=0
if [[ "${1:-}" == "--check" ]]; then check=1; fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
objs=()
for src in "${SOURCES[@]}"; do
  obj="$tmp/$(basename "$src" .cc).o"
  "$CXX" "${CXXFLAGS[@]}" -c "$src" -o "$obj"
  objs+=("$obj")
done
"$LD" "${LDFLAGS[@]}" "${objs[@]}" -o "$tmp/smelu.wasm"

if [[ $check == 1 ]]; then
  if cmp -s "$tmp/smelu.wasm" "$OUT"; then
    echo "build-wasm: $OUT matches a build from source"
  else
    echo "build-wasm: $OUT differs from a build from source; run scripts/build-wasm.sh and commit it" >&2
    exit 1
  fi
else
  cp "$tmp/smelu.wasm" "$OUT"
  echo "build-wasm: wrote $OUT ($(stat -c %s "$OUT") bytes)"
fi
