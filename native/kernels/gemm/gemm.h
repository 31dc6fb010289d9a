// Interface between the portable GEMM frame (gemm_frame.cc) and the per-ISA micro-kernels
// (gemm_<isa>_<MR>x<NR>.cc). The frame blocks, packs and splits the work; a tier only
// supplies its tile shape, its blocking and one block routine (the BLIS "macro-kernel": the loops
// over the micro-tiles of one packed block, with the activation chosen once per block).
//
// The arithmetic contract every tier keeps: each C element is ONE fused multiply-add chain in
// increasing k order starting from 0 (or from C's value when load_c), carried between k blocks
// through C memory in float32 (exact), then + bias, then the activation. So the blocking, the tile
// shape, the tier and the thread count never change a bit of the result.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../act/act.h"

namespace smelu {
namespace gemm {

// Element (r, c) of a matrix at p[r * rs + c * cs]. Transposes are just swapped strides.
struct Strided {
  const float* p;
  size_t rs, cs;
  float at(size_t r, size_t c) const { return p[r * rs + c * cs]; }
};

// How a packed A block is laid out.
//   rows: row r of the block, k index p at a[r * a_row_stride + p] (a copy of A's rows; row-major A
//         packs with plain row copies, no transpose).
//   cols: the block is split into micro-tiles (split_tiles) of up to MR rows; tile t starts at
//         a + t * MR * kc and holds a[p * MR + r] (column-major A, e.g. X^T, packs with copies).
enum class ALayout { rows, cols };

// Everything one block routine call needs: C[rows x cols] (+)= A_block[rows x kc] * B[kc x cols].
struct BlockArgs {
  size_t rows, cols, kc;
  const float* a;          // A block: packed, or (rows layout) A's own rows read in place
  size_t lda;              // rows layout: floats between the block's rows
  ALayout layout;
  const float* b;          // B panel of the block's first column, at this k offset
  size_t b_panel_stride;   // floats from one NR-column panel to the next
  size_t ldb;              // floats from one k row of a panel to the next (NR when packed)
  const float* b_edge;     // packed last panel (cols % NR != 0) at this k offset when B is read
                           // in place (its last panel would run past the matrix), else null
  float* c;                // accumulators between k blocks, and the output y on the last block
  size_t ldc;
  bool load_c;             // start the chains from C (later k blocks, or accumulate)
  bool last;               // last k block: apply + bias, store z, apply the activation
  const ActParams* act;    // last block only
  const float* bias;       // last block only: >= cols rounded up to NR values (zero padded), or null
  float* z;                // last block only: pre-activation out [rows x cols], or null
  size_t ldz;
};

// The two small-m products by rows (gemm_dot.h), i < m, j < n:
//   dot_rows:  out[i * ldo + p] = sum_j a[i * lda + j] b[p * ldb + j]   (16-lane order)
//   rank_rows: out[p * ldo + j] (+)= sum_i a[i * lda + p] b[i * ldb + j] (one FMA chain in i order,
//              from out's value when load_c)
struct RowsArgs {
  size_t m, n;
  const float* a;
  size_t lda;
  const float* b;
  size_t ldb;
  float* out;
  size_t ldo;
  bool load_c;
};

}  // namespace gemm

// One ISA tier's GEMM: micro-tile shape, blocking (KC deep, MC rows of A per packed block) and code.
struct GemmKernels {
  int mr, nr;
  size_t kc, mc;
  size_t a_row_stride;     // rows layout: floats between packed rows (>= kc; padded off 4 KiB)
  void (*block)(const gemm::BlockArgs&);
  // Rows [p0, p1) of b against every row of a (small-m dx: gemm_dot.h).
  void (*dot_rows)(const gemm::RowsArgs&, size_t p0, size_t p1);
  // Rows [p0, p1) of a rank-m update (small-m dW: gemm_dot.h).
  void (*rank_rows)(const gemm::RowsArgs&, size_t p0, size_t p1);
  // One panel of a B whose columns are contiguous (W^T for dx): out[r * nr + c] = src[c * ld + r]
  // for r < K, c < w, zero for c in [w, nr). Null: the frame's generic pack.
  void (*pack_b_transposed)(const float* src, size_t ld, size_t K, size_t w, size_t nr, float* out);
};

extern const GemmKernels gemm_kernels_scalar;
#if defined(__x86_64__)
extern const GemmKernels gemm_kernels_avx2;
extern const GemmKernels gemm_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const GemmKernels gemm_kernels_neon;
#endif

namespace gemm {

// Micro-tile split of `rows` rows: ceil(rows / mr) tiles whose sizes differ by at most one, so a
// 16-row batch runs as 8 + 8, not 14 + 2 (a 2-row tile has too few FMA chains to fill the pipes).
struct TileSplit {
  size_t tiles, base, extra;  // the first `extra` tiles have base + 1 rows, the others base
  size_t rows_of(size_t t) const { return base + (t < extra ? 1 : 0); }
  size_t first_row(size_t t) const { return t * base + (t < extra ? t : extra); }
};
inline TileSplit split_tiles(size_t rows, size_t mr) {
  TileSplit s{0, 0, 0};
  if (rows == 0) return s;
  s.tiles = (rows + mr - 1) / mr;
  s.base = rows / s.tiles;
  s.extra = rows % s.tiles;
  return s;
}

}  // namespace gemm
}  // namespace smelu
