// The wasm tier's GEMM: the shared micro-kernel and block routine (kernels/gemm/gemm_ukernel.h)
// on VecWasm, under a single-threaded blocking loop. Threads are JavaScript workers that each
// run this loop over their own rows of C (lib/backend/wasm.ts), so the split never touches k and
// each C element stays one multiply-add chain in k order: the same bits for every thread count.
// No allocation here: the caller passes every buffer (JavaScript owns the wasm memory layout).
#pragma once
#include <cstddef>

#include "../kernels/act/act.h"
#include "../kernels/gemm/gemm.h"

namespace smelu {
namespace wasm {

// 4 x 8 tile: 8 accumulators + 2 B vectors + 1 broadcast + 1 product temporary (no fused
// multiply-add). V8 allocates from 16 vector registers on x86-64 and spills larger tiles: in one
// side-by-side run at 512^3 (Node 20), 4x8 beat 6x8, 8x8, 5x8, 3x8, 4x12, 3x16 and 2x16.
constexpr int kMr = 4;
constexpr int kNr = 8;
constexpr size_t kKc = 256;
constexpr size_t kMc = 72;
constexpr size_t kRowStride = kKc + 16;

// Floats of the packed-A scratch one thread needs.
constexpr size_t kAScratchFloats = kMc * kRowStride > (kMc + kMr) * kKc ? kMc * kRowStride : (kMc + kMr) * kKc;

inline size_t panels_of(size_t n) { return (n + kNr - 1) / kNr; }

// C[M x N] (+)= A B, A read at a[r * rs + p * cs] (rs == 1 < cs: A is a transpose, packed by
// columns), B already packed into NR-wide panels of all K rows (pack_b). On the last k block:
// + bias (padded to whole panels, or null), z = pre-activation (or null), C = act(C).
struct GemmCall {
  size_t M, N, K;
  const float* a;
  size_t rs, cs;
  const float* b_packed;
  float* c;
  size_t ldc;
  bool load_c;
  const ActParams* act;  // null: identity
  const float* bias;
  float* z;
  float* a_scratch;  // kAScratchFloats
};

void gemm(const GemmCall& g);

// B[K x N] read at b[p * rs + j * cs] into panels: panel q holds columns [q NR, q NR + NR) as K
// rows of NR floats (zero past N), at out + q * K * NR.
void pack_b(size_t K, size_t N, const float* b, size_t rs, size_t cs, float* out);

}  // namespace wasm
}  // namespace smelu
