// The exports of smelu.wasm: plain C functions over pointers into the (imported, shared) memory.
// Kernels only: lib/backend/wasm.ts validates, lays out the memory, copies the arrays in and out
// and splits the dense products over workers. Nothing here allocates.
#include <cstddef>
#include <cstdint>

#include "../kernels/act/act.h"
#include "../kernels/act/act_loops.h"
#include "../kernels/optim/optim.h"
#include "../kernels/optim/optim_loops.h"
#include "../kernels/simd/vec_wasm.h"
#include "gemm_wasm.h"

#define SMELU_EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace {
using smelu::ActEntry;
using smelu::VecWasm;
}  // namespace

SMELU_EXPORT(act_forward) void act_forward(int32_t kind, const double* raw, const float* x, float* y, size_t n) {
  ActEntry<VecWasm>::forward(smelu::make_act_params(kind, raw), x, y, n);
}

SMELU_EXPORT(act_backward)
void act_backward(int32_t kind, const double* raw, const float* z, const float* dy, float* dz, size_t n) {
  ActEntry<VecWasm>::backward(smelu::make_act_params(kind, raw), z, dy, dz, n);
}

SMELU_EXPORT(act_backward_from_output)
void act_backward_from_output(int32_t kind, const double* raw, const float* y, const float* dy, float* dz, size_t n) {
  ActEntry<VecWasm>::backward_from_output(smelu::make_act_params(kind, raw), y, dy, dz, n);
}

SMELU_EXPORT(optim_step)
void optim_step(int32_t kind, const double* hyper, float* w, const float* g, float* s1, float* s2, size_t n) {
  smelu::OptimEntry<VecWasm>::step(smelu::make_optim_params(kind, hyper), w, g, s1, s2, n);
}

// See smelu::wasm::pack_b.
SMELU_EXPORT(pack_b) void pack_b(size_t K, size_t N, const float* b, size_t rs, size_t cs, float* out) {
  smelu::wasm::pack_b(K, N, b, rs, cs, out);
}

// See smelu::wasm::GemmCall; kind < 0 means no activation (raw is then not read).
SMELU_EXPORT(gemm)
void gemm(size_t M, size_t N, size_t K, const float* a, size_t rs, size_t cs, const float* b_packed, float* c,
          size_t ldc, int32_t load_c, int32_t kind, const double* raw, const float* bias, float* z, float* a_scratch) {
  smelu::ActParams act;
  if (kind >= 0) act = smelu::make_act_params(kind, raw);
  smelu::wasm::GemmCall g{M, N, K, a, rs, cs, b_packed, c, ldc, load_c != 0, kind >= 0 ? &act : nullptr, bias, z, a_scratch};
  smelu::wasm::gemm(g);
}

// db (+)= the column sums of dz [m x n], row after row (the order every backend sums in).
SMELU_EXPORT(column_sums) void column_sums(const float* dz, size_t m, size_t n, float* db, int32_t accumulate) {
  if (!accumulate)
    for (size_t j = 0; j < n; ++j) db[j] = 0.0f;
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) db[j] += dz[i * n + j];
}

// Layout constants the JavaScript side sizes its buffers with.
SMELU_EXPORT(tile_nr) int32_t tile_nr() { return smelu::wasm::kNr; }
SMELU_EXPORT(a_scratch_floats) int32_t a_scratch_floats() { return smelu::wasm::kAScratchFloats; }

// Each instance on a shared memory needs its own stack: a worker moves its stack pointer to the
// top of a region the JavaScript side reserved for it, before any other call.
SMELU_EXPORT(set_stack_pointer) void set_stack_pointer(size_t top) {
  __asm__ volatile("local.get %0\n\tglobal.set __stack_pointer" : : "r"(top));
}
