// Blocking loop of the wasm tier (see gemm_wasm.h): MC rows of A at a time, each through all of K
// in KC steps, so the C rows stay in cache between k blocks.
#include "gemm_wasm.h"

#include <cstring>

#include "../kernels/gemm/gemm_ukernel.h"
#include "../kernels/simd/vec_wasm.h"

namespace smelu {
namespace wasm {
namespace {

using Kernel = gemm::MicroKernel<VecWasm, kMr, kNr / VecWasm::kWidth, kRowStride>;
static_assert(Kernel::NR == kNr, "tile width");

size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

// Rows [i0, i0 + rows) x k range [p0, p0 + kc) of A into the block layout the micro-kernel reads.
void pack_a(const GemmCall& g, gemm::ALayout layout, size_t i0, size_t rows, size_t p0, size_t kc) {
  if (kc == 0) return;
  float* out = g.a_scratch;
  if (layout == gemm::ALayout::rows) {
    for (size_t r = 0; r < rows; ++r) std::memcpy(out + r * kRowStride, g.a + (i0 + r) * g.rs + p0, kc * sizeof(float));
    return;
  }
  const gemm::TileSplit s = gemm::split_tiles(rows, kMr);
  for (size_t t = 0; t < s.tiles; ++t) {
    const size_t r0 = i0 + s.first_row(t), nrows = s.rows_of(t);
    float* tile = out + t * kMr * kc;
    for (size_t p = 0; p < kc; ++p) {
      const float* src = g.a + (p0 + p) * g.cs + r0;
      for (size_t r = 0; r < nrows; ++r) tile[p * kMr + r] = src[r];
    }
  }
}

}  // namespace

void pack_b(size_t K, size_t N, const float* b, size_t rs, size_t cs, float* out) {
  for (size_t q = 0; q < panels_of(N); ++q) {
    const size_t j0 = q * kNr, w = min_size(kNr, N - j0);
    float* panel = out + q * K * kNr;
    for (size_t p = 0; p < K; ++p) {
      float* dst = panel + p * kNr;
      for (size_t c = 0; c < w; ++c) dst[c] = b[p * rs + (j0 + c) * cs];
      for (size_t c = w; c < kNr; ++c) dst[c] = 0.0f;
    }
  }
}

void gemm(const GemmCall& g) {
  if (g.M == 0 || g.N == 0) return;
  const gemm::ALayout layout = (g.cs != 1 && g.rs == 1) ? gemm::ALayout::cols : gemm::ALayout::rows;
  for (size_t ic = 0; ic < g.M; ic += kMc) {
    const size_t rows = min_size(kMc, g.M - ic);
    for (size_t pc = 0;; pc += kKc) {
      const size_t kc = min_size(kKc, g.K - pc);
      const bool last = pc + kc >= g.K;
      pack_a(g, layout, ic, rows, pc, kc);
      gemm::BlockArgs b{};
      b.rows = rows;
      b.cols = g.N;
      b.kc = kc;
      b.a = g.a_scratch;
      b.lda = kRowStride;
      b.layout = layout;
      b.b = g.b_packed + pc * kNr;
      b.b_panel_stride = g.K * kNr;
      b.ldb = kNr;
      b.b_edge = nullptr;
      b.c = g.c + ic * g.ldc;
      b.ldc = g.ldc;
      b.load_c = g.load_c || pc > 0;
      b.last = last;
      b.act = g.act;
      b.bias = g.bias;
      b.z = g.z ? g.z + ic * g.ldc : nullptr;
      b.ldz = g.ldc;
      gemm::block_entry<Kernel>(b);
      if (last) break;
    }
  }
}

}  // namespace wasm
}  // namespace smelu
