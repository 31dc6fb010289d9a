#!/usr/bin/env bash
# Cross-builds the fused dense kernels for aarch64 (NEON tier + scalar tier) with the native
# driver test, and runs it under qemu-aarch64: the NEON GEMM micro-kernel must match the scalar
# tier and the naive std::fma chains bit for bit. Needs g++-aarch64-linux-gnu and qemu-user.
set -euo pipefail
cd "$(dirname "$0")/../.."

CXX=${AARCH64_CXX:-aarch64-linux-gnu-g++}
QEMU=${QEMU_AARCH64:-qemu-aarch64}
if ! command -v "$CXX" >/dev/null || ! command -v "$QEMU" >/dev/null; then
  echo "run_neon_gemm: $CXX or $QEMU missing (apt-get install g++-aarch64-linux-gnu qemu-user)" >&2
  exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Every portable and NEON source of native/sources.json but the addon glue.
mapfile -t sources < <(node -e '
  const s = require("./native/sources.json");
  for (const f of [...s.common, ...s.neon]) if (f !== "native/addon.cc") console.log(f);
')
"$CXX" -O2 -std=c++17 -static -pthread -ffp-contract=off -fno-math-errno -Inative \
  test/native/gemm_driver_test.cc "${sources[@]}" -o "$out/gemm_driver_test"
"$QEMU" "$out/gemm_driver_test" "$@"
