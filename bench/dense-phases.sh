#!/usr/bin/env bash
# Builds and runs bench/native/dense_phases.cc: the dense layer's forward, backward and the
# backward's two products timed alone in C++ (no Node), with the addon's flags per tier.
#   bash bench/dense-phases.sh [--isa avx512|avx2|scalar] [--threads N] [--reps R] [--only PHASE] [MxKxN ...]
# Time it on a quiet machine; compare figures from one invocation only.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# shellcheck source=test/native/objects.sh
. test/native/objects.sh
flags=(-std=c++17 -O3 -pthread -ffp-contract=off -fno-math-errno -Inative)
build_objects "$out" "${flags[@]}"
"${CXX:-g++}" "${flags[@]}" bench/native/dense_phases.cc "${objs[@]}" -o "$out/dense_phases"
"$out/dense_phases" "$@"
