#!/bin/sh
# Cross-compiles test/native/act_driver.cc for aarch64 with the scalar and NEON tiers and runs it
# under qemu-aarch64: checks NEON against scalar bitwise and scalar against float64.
# Needs g++-aarch64-linux-gnu and qemu-user. Usage: test/native/run_neon.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cxx=${AARCH64_CXX:-aarch64-linux-gnu-g++}
flags="-std=c++17 -O2 -ffp-contract=off -fno-math-errno -Wall -Wextra -I$root/native"
act=$root/native/kernels/act
$cxx $flags -static "$act/act_scalar.cc" "$act/act_neon.cc" "$act/act_params.cc" \
  "$root/test/native/act_driver.cc" -o "$out/act_driver"
${QEMU_AARCH64:-qemu-aarch64} "$out/act_driver"
