#!/usr/bin/env bash
# The fast native drivers (`npm run test:native`): the host tiers natively (run_native.sh), then
# the NEON tier under qemu (run_neon.sh, run_neon_gemm.sh) when the cross compiler and qemu are
# installed; without them those two print a skip line and do not fail. The heavy native suites
# (run_sanitizers.sh, run_valgrind.sh) are not run here.
set -euo pipefail
here=$(dirname "$0")
bash "$here/run_native.sh"
cxx=${AARCH64_CXX:-aarch64-linux-gnu-g++}
qemu=${QEMU_AARCH64:-qemu-aarch64}
for script in run_neon.sh run_neon_gemm.sh; do
  if command -v "$cxx" >/dev/null && command -v "$qemu" >/dev/null; then
    bash "$here/$script"
  else
    echo "skip: test/native/$script needs $cxx and $qemu (apt-get install g++-aarch64-linux-gnu qemu-user)"
  fi
done
