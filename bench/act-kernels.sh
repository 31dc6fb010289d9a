#!/usr/bin/env bash
# Builds and runs bench/native/act_kernels.cc: the AVX-512 activation kernels timed alone in C++
# (no Node), to try kernel variants quickly. Same compiler flags as the addon's AVX-512 tier.
#   bash bench/act-kernels.sh [--unroll] [KIND,KIND,...]     (N=length, OFFSET=bytes mod 64)
# Runs the program RUNS times (default 3): each process places its arrays elsewhere (address-space
# randomization), which moves the memory-bound rows (memcpy, ReLU, SmeLU) by up to 1.5x; read the
# best of the runs. Time it on a quiet machine; compare figures from one invocation only.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
g++ -std=c++17 -O3 -ffp-contract=off -fno-math-errno -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 \
  -mfma -Inative bench/native/act_kernels.cc native/kernels/act/act_params.cc -o "$out/act_kernels"
for ((r = 1; r <= ${RUNS:-3}; r++)); do
  echo "-- run $r"
  "$out/act_kernels" "$@"
done
