// The register-tile micro-kernel and the block routine, written once against the Vec interface
// (kernels/simd/vec_*.h) and instantiated per ISA with that tier's tile shape (MR rows x NV
// vectors). Include only from a per-ISA translation unit.
//
// A tile keeps MR x NV accumulators in registers for the whole k block: per k step it loads NV
// vectors of the packed B panel, broadcasts MR values of A (inside the FMAs where the ISA can)
// and issues MR * NV independent FMAs.
// On the last k block the epilogue (+ bias, store z, activation, store y) runs on the registers,
// with the activation struct a template parameter so that its code inlines into the tile.
#pragma once
#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#include "../act/act_math.h"
#include "gemm.h"

namespace smelu {
namespace gemm {

struct TileArgs {
  size_t kc;
  const float* a;   // this tile's A (layout per template argument)
  size_t lda;       // rows layout: floats between A rows
  const float* b;   // B micro-panel: kc rows of NR floats, ldb apart
  size_t ldb;
  size_t bps;       // wide tiles: floats from one B panel to the next
  const float* pf;  // fetched at every k step, then advanced by pf_step floats (the next B panel;
  size_t pf_step;   // 0: the same line again, a cache hit)
  float* c;
  size_t ldc;
  bool load_c, last;
  const float* bias;  // P * NR values or null
  float* z;           // or null
  size_t ldz;
};

constexpr size_t kLineFloats = 16;  // a 64-byte cache line
#if defined(__wasm__)
constexpr bool kFetchNextPanel = false;  // wasm has no prefetch: skip the per-tile set-up
#else
constexpr bool kFetchNextPanel = true;
#endif

// A Vec with fma_bcast (AVX-512) takes the A value straight from memory inside the FMA.
template <class V, class = void>
constexpr bool kFoldBroadcast = false;
template <class V>
constexpr bool kFoldBroadcast<V, std::void_t<decltype(&V::fma_bcast)>> = true;

// ROWS x (P * NV * W) tile: ROWS <= MR rows of A against P B micro-panels (P > 1 only for thin
// tiles, so that a 1..3-row tile still has enough independent FMA chains to fill the pipes).
// Rows-layout A rows are t.lda floats apart: the packed block's stride, or A's own rows read in
// place when the frame skips the pack (gemm_frame.cc). A frame that always packs (the wasm tier's)
// passes its stride as FIXED_LDA instead: wasm addresses have no scaled index, so a constant
// stride saves an add per row and k step.
template <class V, int MR_, int NV, size_t FIXED_LDA = 0>
struct MicroKernel {
  using Vec = V;
  using F = typename V::F;
  static constexpr int W = V::kWidth;
  static constexpr int MR = MR_;
  static constexpr int NR = NV * W;
  // Panels a thin tile of `rows` rows takes: no more accumulators than the full tile, at most 4.
  static constexpr int panels_for(int rows) {
    return std::max(1, std::min(4, MR * NV / (rows * NV)));
  }

  template <int ROWS, int P, ALayout L, class Act>
  static void tile(const TileArgs& t, const Act& act) {
    constexpr int NT = P * NV;
    F acc[ROWS][NT];
    start<ROWS, NT>(acc, t);
    // Rows-layout A: one pointer per group of 3 rows, the rows of a group at + 0, + S, + 2S (x86
    // addresses them as base + S * 1 or 2 with S in one register: no per-row pointers to spill).
    constexpr int G = L == ALayout::rows && !FIXED_LDA ? (ROWS + 2) / 3 : 1;
    const size_t S = L == ALayout::rows ? t.lda : 0;
    const float* a[G];
#pragma GCC unroll 16
    for (int g = 0; g < G; ++g) a[g] = t.a + 3 * g * S;
    const float* b = t.b;
    const float* pf = t.pf;
    for (size_t p = 0; p < t.kc; ++p) {
      if (kFetchNextPanel) {
        __builtin_prefetch(pf, 0, 3);
        pf += t.pf_step;
      }
      F bv[NT];
#pragma GCC unroll 4
      for (int q = 0; q < P; ++q)
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) bv[q * NV + v] = V::load(b + q * t.bps + v * W);
#pragma GCC unroll 32
      for (int r = 0; r < ROWS; ++r) {
        const float* ap = L == ALayout::cols ? a[0] + r
                          : FIXED_LDA != 0     ? a[0] + r * FIXED_LDA
                                               : a[r / 3] + (r % 3) * S;
        if constexpr (kFoldBroadcast<V>) {
#pragma GCC unroll 32
          for (int v = 0; v < NT; ++v) acc[r][v] = V::fma_bcast(ap, bv[v], acc[r][v]);
        } else {
          const F av = V::set1(*ap);
#pragma GCC unroll 32
          for (int v = 0; v < NT; ++v) acc[r][v] = V::fma(av, bv[v], acc[r][v]);
        }
      }
#pragma GCC unroll 16
      for (int g = 0; g < G; ++g) a[g] += (L == ALayout::rows ? 1 : MR);
      b += t.ldb;
    }
    finish<ROWS, NT>(acc, t, act);
  }

 private:
  template <int ROWS, int NT>
  static void start(F (&acc)[ROWS][NT], const TileArgs& t) {
#pragma GCC unroll 32
    for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 32
      for (int v = 0; v < NT; ++v) acc[r][v] = t.load_c ? V::load(t.c + r * t.ldc + v * W) : V::zero();
  }

  // Not the last k block: the raw chain values go back to C (exact in float32).
  template <int ROWS, int NT, class Act>
  static void finish(F (&acc)[ROWS][NT], const TileArgs& t, const Act& act) {
    if (!t.last) {
#pragma GCC unroll 32
      for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 32
        for (int v = 0; v < NT; ++v) V::store(t.c + r * t.ldc + v * W, acc[r][v]);
      return;
    }
    if (t.bias) {
#pragma GCC unroll 32
      for (int v = 0; v < NT; ++v) {
        const F bv = V::load(t.bias + v * W);
#pragma GCC unroll 32
        for (int r = 0; r < ROWS; ++r) acc[r][v] = V::add(acc[r][v], bv);
      }
    }
    if (t.z) {
#pragma GCC unroll 32
      for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 32
        for (int v = 0; v < NT; ++v) V::store(t.z + r * t.ldz + v * W, acc[r][v]);
    }
#pragma GCC unroll 32
    for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 32
      for (int v = 0; v < NT; ++v) V::store(t.c + r * t.ldc + v * W, act.forward(acc[r][v]));
  }
};

template <class Act>
using TileFn = void (*)(const TileArgs&, const Act&);

// tile<1..MR> so that every row count of the split runs its own fully unrolled tile.
template <class K, ALayout L, class Act, size_t... I>
constexpr std::array<TileFn<Act>, sizeof...(I)> tile_table(std::index_sequence<I...>) {
  return {{&K::template tile<static_cast<int>(I) + 1, 1, L, Act>...}};
}

// A tile narrower than NR (the last columns): run the full tile on a stack copy, copy back.
template <class K, class Act>
void edge_tile(TileFn<Act> fn, TileArgs t, size_t rows, size_t cols, const Act& act) {
  alignas(64) float c[K::MR * K::NR] = {};
  alignas(64) float z[K::MR * K::NR];
  float* c_out = t.c;
  float* z_out = t.z;
  const size_t ldc = t.ldc, ldz = t.ldz;
  if (t.load_c)
    for (size_t r = 0; r < rows; ++r) std::memcpy(c + r * K::NR, c_out + r * ldc, cols * sizeof(float));
  t.c = c;
  t.ldc = K::NR;
  if (z_out) {
    t.z = z;
    t.ldz = K::NR;
  }
  fn(t, act);
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(c_out + r * ldc, c + r * K::NR, cols * sizeof(float));
    if (z_out) std::memcpy(z_out + r * ldz, z + r * K::NR, cols * sizeof(float));
  }
}

// A tile's C rows are touched once per k block; fetch the next tile's while this one computes
// (for a large C they come from DRAM, and a tile's 28 row loads would otherwise stall it).
inline void prefetch_c(const BlockArgs& g, size_t r0, size_t rows, size_t j, size_t w) {
  for (size_t r = r0; r < r0 + rows; ++r) {
    const float* row = g.c + r * g.ldc + j;
    __builtin_prefetch(row, 1, 3);
    __builtin_prefetch(row + w - 1, 1, 3);
  }
}

// The packed B panel after the current one, fetched a share per tile while the tiles of the
// current panel run: the first tile of a panel would otherwise wait on memory for every line of it
// (a 512 x 32 panel is 64 KiB; dW of 4096x1024x1024 streams a 16 MiB packed dZ from DRAM once per
// block of A rows, and its first tiles ran at DRAM speed).
struct NextPanel {
  const float* first;
  size_t lines;  // cache lines of its k block; 0: nothing to fetch
};
inline NextPanel next_panel(const BlockArgs& g, size_t j, size_t nr) {
  if (j >= g.cols || g.ldb != nr) return NextPanel{g.b, 0};  // last panel, or B read in place
  return NextPanel{g.b + (j / nr) * g.b_panel_stride, g.kc * nr / kLineFloats};
}

// Tile i of `tiles` fetches kc lines of the next panel, from line i * lines / tiles (clamped so
// that it stays inside the panel): together the tiles cover it. A panel with fewer lines than
// k steps (tile width under 16 floats) is not fetched.
inline void set_prefetch(TileArgs& t, const NextPanel& next, size_t i, size_t tiles) {
  if (next.lines < t.kc) {
    t.pf = t.b;
    t.pf_step = 0;
    return;
  }
  const size_t line = std::min((next.lines + tiles - 1) / tiles * i, next.lines - t.kc);
  t.pf = next.first + line * kLineFloats;
  t.pf_step = kLineFloats;
}

// The arguments shared by the tiles of one block.
inline TileArgs block_tile_args(const BlockArgs& g) {
  TileArgs t;
  t.kc = g.kc;
  t.lda = g.lda;
  t.ldb = g.ldb;
  t.bps = g.b_panel_stride;
  t.ldc = g.ldc;
  t.ldz = g.ldz;
  t.load_c = g.load_c;
  t.last = g.last;
  t.pf = g.b;
  t.pf_step = 0;
  return t;
}

// A block of 1..3 rows: tiles over P panels at once. Returns the first column left to do.
template <class K, ALayout L, int ROWS, class Act>
size_t run_thin(const BlockArgs& g, const Act& act) {
  constexpr int P = K::panels_for(ROWS);
  if (P == 1) return 0;
  TileArgs t = block_tile_args(g);
  t.a = g.a;
  size_t j = 0;
  for (; j + P * K::NR <= g.cols; j += P * K::NR) {
    t.b = g.b + (j / K::NR) * g.b_panel_stride;
    t.c = g.c + j;
    t.z = g.last && g.z ? g.z + j : nullptr;
    t.bias = g.last && g.bias ? g.bias + j : nullptr;
    K::template tile<ROWS, P, L, Act>(t, act);
  }
  return j;
}

template <class K, ALayout L, class Act>
size_t run_thin(const BlockArgs& g, const Act& act) {
  switch (g.rows) {
    case 1: return run_thin<K, L, 1>(g, act);
    case 2: return run_thin<K, L, 2>(g, act);
    case 3: return K::MR >= 3 ? run_thin<K, L, (K::MR >= 3 ? 3 : 1)>(g, act) : 0;
    default: return 0;
  }
}

// The block routine: B micro-panels outer (each stays in L1/L2 across the tiles below it), the A
// block's tiles inner (the packed A block stays in L2 across the panels).
template <class K, ALayout L, class Act>
void run_block(const BlockArgs& g, const Act& act) {
  static constexpr auto tiles = tile_table<K, L, Act>(std::make_index_sequence<K::MR>{});
  const TileSplit s = split_tiles(g.rows, K::MR);
  size_t j = s.tiles == 1 ? run_thin<K, L>(g, act) : 0;
  TileArgs t = block_tile_args(g);
  for (; j < g.cols; j += K::NR) {
    const size_t w = std::min<size_t>(K::NR, g.cols - j);
    const bool packed_edge = w < K::NR && g.b_edge;
    t.b = packed_edge ? g.b_edge : g.b + (j / K::NR) * g.b_panel_stride;
    t.ldb = packed_edge ? K::NR : g.ldb;
    t.bias = g.last && g.bias ? g.bias + j : nullptr;
    const NextPanel next = kFetchNextPanel ? next_panel(g, j + K::NR, K::NR) : NextPanel{g.b, 0};
    for (size_t i = 0; i < s.tiles; ++i) {
      const size_t r0 = s.first_row(i), rows = s.rows_of(i);
      if (kFetchNextPanel) set_prefetch(t, next, i, s.tiles);
      if (i + 1 < s.tiles) prefetch_c(g, s.first_row(i + 1), s.rows_of(i + 1), j, w);
      t.a = L == ALayout::rows ? g.a + r0 * g.lda : g.a + i * K::MR * g.kc;
      t.c = g.c + r0 * g.ldc + j;
      t.z = g.last && g.z ? g.z + r0 * g.ldz + j : nullptr;
      if (w == K::NR)
        tiles[rows - 1](t, act);
      else
        edge_tile<K>(tiles[rows - 1], t, rows, w, act);
    }
  }
}

// The tier's block entry: the activation is chosen once per block. Earlier k blocks only store
// raw chains, and column-layout A is only used for dW (no activation), so both run the identity
// instantiation.
template <class K>
void block_entry(const BlockArgs& g) {
  using V = typename K::Vec;
  static const ActParams identity{};
  if (g.layout == ALayout::cols) return run_block<K, ALayout::cols>(g, IdentityAct<V>(identity));
  if (!g.last || !g.act) return run_block<K, ALayout::rows>(g, IdentityAct<V>(identity));
  dispatch_activation<V>(*g.act, [&](const auto& act) { run_block<K, ALayout::rows>(g, act); });
}

}  // namespace gemm
}  // namespace smelu
