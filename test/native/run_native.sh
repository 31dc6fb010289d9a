#!/bin/sh
# Builds test/native/act_driver.cc natively (x86-64: the scalar, AVX2 and AVX-512 tiers, each
# with the per-tier flags of CMakeLists.txt) and runs it. Usage: test/native/run_native.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/smelu_act_driver_native
mkdir -p "$out"
cxx=${CXX:-g++}
flags="-std=c++17 -O2 -ffp-contract=off -fno-math-errno -Wall -Wextra -I$root/native"
act=$root/native/kernels/act
$cxx $flags -c "$act/act_scalar.cc" -o "$out/act_scalar.o"
$cxx $flags -c "$act/act_params.cc" -o "$out/act_params.o"
$cxx $flags -mavx2 -mfma -c "$act/act_avx2.cc" -o "$out/act_avx2.o"
$cxx $flags -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -c "$act/act_avx512.cc" -o "$out/act_avx512.o"
$cxx $flags -c "$root/test/native/act_driver.cc" -o "$out/act_driver.o"
$cxx "$out"/*.o -o "$out/act_driver"
"$out/act_driver"
