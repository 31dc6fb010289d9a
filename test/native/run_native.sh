#!/usr/bin/env bash
# Builds the native drivers on this x86-64 machine (every source of native/sources.json but the
# addon glue, each tier with its flags) and runs them: test/native/act_driver.cc (the activation
# tiers against float64 and one another) and test/native/gemm_driver_test.cc (the dense layer on
# every tier this CPU runs against naive std::fma chains, bit for bit, threads 1 to 3).
# Usage: test/native/run_native.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# A fresh folder per run: two checkouts building here at once must not mix their objects.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cxx=${CXX:-g++}
flags=(-std=c++17 -O2 -pthread -ffp-contract=off -fno-math-errno -Wall -Wextra -Inative)
# shellcheck source=test/native/objects.sh
. test/native/objects.sh
build_objects "$out" "${flags[@]}"
"$cxx" "${flags[@]}" test/native/act_driver.cc "${act_objs[@]}" -o "$out/act_driver"
"$cxx" "${flags[@]}" test/native/gemm_driver_test.cc "${objs[@]}" -o "$out/gemm_driver_test"
"$out/act_driver"
"$out/gemm_driver_test"
