// BLIS-style blocking and packing, and the split of one GEMM into work items (gemm_frame.h).
#include "gemm_frame.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace smelu {
namespace gemm {

// ---- packing ----

void pack_b_panel(const Strided& b, size_t K, size_t j, size_t w, size_t nr, float* out) {
  if (b.cs == 1) {
    for (size_t p = 0; p < K; ++p) {
      const float* src = b.p + p * b.rs + j;
      float* dst = out + p * nr;
      for (size_t c = 0; c < w; ++c) dst[c] = src[c];
      for (size_t c = w; c < nr; ++c) dst[c] = 0.0f;
    }
    return;
  }
  // Transposed source (W^T for dx): each column is contiguous in memory. Go down 64 rows of
  // every column at a time so that the 64 destination rows stay in L1 while they are filled.
  constexpr size_t kRows = 64;
  for (size_t p0 = 0; p0 < K; p0 += kRows) {
    const size_t pn = std::min(kRows, K - p0);
    for (size_t c = 0; c < w; ++c) {
      const float* src = b.p + p0 * b.rs + (j + c) * b.cs;
      float* dst = out + p0 * nr + c;
      if (b.rs == 1)
        for (size_t p = 0; p < pn; ++p) dst[p * nr] = src[p];
      else
        for (size_t p = 0; p < pn; ++p) dst[p * nr] = src[p * b.rs];
    }
    for (size_t p = 0; p < pn; ++p)
      for (size_t c = w; c < nr; ++c) out[(p0 + p) * nr + c] = 0.0f;
  }
}

void pack_b_rows(const Strided& b, size_t N, size_t p0, size_t p1, size_t j0, size_t panels, size_t nr,
                 size_t panel_floats, float* out) {
  for (size_t p = p0; p < p1; ++p) {
    const float* src = b.p + p * b.rs;
    for (size_t q = 0; q < panels; ++q) {
      const size_t j = j0 + q * nr, w = std::min(nr, N - j);
      float* dst = out + q * panel_floats + p * nr;
      std::memcpy(dst, src + j, w * sizeof(float));
      std::fill(dst + w, dst + nr, 0.0f);
    }
  }
}

namespace {

#if defined(__wasm__)
constexpr bool kPrefetchPackRows = false;  // wasm has no prefetch: skip the address arithmetic
#else
constexpr bool kPrefetchPackRows = true;
#endif

// Rows [i, i + rows) x k range [p0, p0 + kc) of A into the tier's packed layout.
void pack_a_block(const Strided& a, ALayout layout, const GemmKernels& t, size_t i, size_t rows, size_t p0,
                  size_t kc, float* out) {
  // K = 0 (an empty x, whose data pointer may be null): nothing to copy, and memcpy from null is
  // undefined even for 0 bytes (UBSan).
  if (kc == 0) return;
  if (layout == ALayout::rows) {
    for (size_t r = 0; r < rows; ++r) {
      float* dst = out + r * t.a_row_stride;
      if (a.cs == 1)
        std::memcpy(dst, a.p + (i + r) * a.rs + p0, kc * sizeof(float));
      else
        for (size_t p = 0; p < kc; ++p) dst[p] = a.at(i + r, p0 + p);
    }
    return;
  }
  // Column-major A (x^T: its k rows are x's rows, a.cs floats apart): kSteps k rows at a time for
  // all tiles, so the source lines of those rows are fetched once and used by every tile while in
  // L1. Tile by tile over all kc rows, each tile fetched its lines again from wherever the rows of
  // the previous tiles had gone (L3 for x of 2048x256: ~20% of the dW product on Zen 4).
  constexpr size_t kSteps = 16;
  const TileSplit s = split_tiles(rows, t.mr);
  for (size_t q0 = 0; q0 < kc; q0 += kSteps) {
    const size_t q1 = std::min(kc, q0 + kSteps);
    // Later rows are on other pages, where the hardware prefetchers do not follow: ask for the
    // lines of the block after next while this one is copied (one block ahead was too late from
    // L3: 2048x256^2 backward 6.1-6.2 -> 5.9-6.0 ms with two).
    if (kPrefetchPackRows && a.rs == 1)
      for (size_t p = std::min(kc, q1 + kSteps); p < std::min(kc, q1 + 2 * kSteps); ++p) {
        const float* row = a.p + (p0 + p) * a.cs + i;
        for (size_t r = 0; r < rows; r += 16) __builtin_prefetch(row + r, 0, 3);
        __builtin_prefetch(row + rows - 1, 0, 3);
      }
    for (size_t tile = 0; tile < s.tiles; ++tile) {
      const size_t r0 = i + s.first_row(tile), nrows = s.rows_of(tile);
      float* dst = out + tile * t.mr * kc;
      for (size_t p = q0; p < q1; ++p) {
        const float* src = a.p + (p0 + p) * a.cs + r0 * a.rs;
        if (a.rs == 1)
          for (size_t r = 0; r < nrows; ++r) dst[p * t.mr + r] = src[r];  // inline: <= MR floats
        else
          for (size_t r = 0; r < nrows; ++r) dst[p * t.mr + r] = src[r * a.rs];
      }
    }
  }
}

size_t a_buffer_floats(const GemmKernels& t) {
  return std::max(t.mc * t.a_row_stride, (t.mc + t.mr) * t.kc);
}

// ---- the split of one GEMM over threads ----

// Below this many FLOPs per thread, waking another thread costs more than it saves.
constexpr double kMinFlopsPerThread = 1e6;

// The work of one GEMM as items of (a group of M tiles) x (a chunk of N panels) that threads take
// in order from a shared counter: a thread slowed by other work (the event loop, another process)
// then costs its share only, not the whole call. Each C element still belongs to exactly one item.
struct WorkSplit {
  size_t m_items, n_items;
  size_t mtiles, panels, panel_unit;  // n chunks are whole multiples of panel_unit panels
  size_t items() const { return m_items * n_items; }
};

// Items per thread the split aims at: enough that the last item bounds the idle tail of the others
// (a quarter of a share), few enough that items stay whole MC blocks.
constexpr size_t kItemsPerThread = 4;

WorkSplit split_work(const GemmKernels& t, size_t M, size_t cols, int nt) {
  WorkSplit w;
  w.mtiles = ceil_div(M, t.mr);
  w.panels = ceil_div(cols, t.nr);
  w.panel_unit = M <= 3 ? 4 : 1;  // thin tiles take 4 panels at once (run_thin)
  const size_t blocks = ceil_div(w.mtiles, t.mc / t.mr);
  w.m_items = blocks;
  w.n_items = 1;
  if (nt <= 1) return w;
  // An item streams the packed B panels of its columns once per MC block of rows: cutting M finer
  // than MC blocks multiplies that traffic (items of one tile each streamed all of B once per tile:
  // dW of 2048x256^2 at 2 threads ran at 1.5x its one-thread speed). So N is cut first, into chunks
  // of >= 4 panels (each chunk packs its rows of A again, 1/(64 x panels) of its work), and M below
  // the MC block only when N cannot give enough items.
  const size_t target = kItemsPerThread * static_cast<size_t>(nt);
  const size_t min_chunk = std::max<size_t>(w.panel_unit, 4);
  w.n_items = std::max<size_t>(1, std::min(w.panels / min_chunk, ceil_div(target, w.m_items)));
  if (w.items() < target) w.m_items = std::min(w.mtiles, std::max(w.m_items, ceil_div(target, w.n_items)));
  w.panel_unit = w.n_items > 1 ? min_chunk : w.panel_unit;
  return w;
}

}  // namespace

int threads_for(const Runtime& rt, double flops) {
  const double want = std::min(flops / kMinFlopsPerThread, static_cast<double>(rt.usable_threads()));
  return std::max(1, static_cast<int>(want));
}

// A pack is a copy (a strided one for W^T): ~2-4 floats per ns on one thread. Below this many
// floats per thread, waking another costs more than it saves.
constexpr double kMinPackFloatsPerThread = 32768;

int pack_threads(const Runtime& rt, size_t floats) {
  const double want = std::min(floats / kMinPackFloatsPerThread, static_cast<double>(rt.usable_threads()));
  return std::max(1, static_cast<int>(want));
}

size_t part_begin(size_t n, size_t unit, size_t parts, size_t i) {
  const size_t units = ceil_div(n, unit);
  return std::min(n, units * i / parts * unit);
}

namespace {

// Where the NR-column panels of B are: packed (all K rows of a panel together), or B itself read
// in place (row-major B, no reuse to pay for packing), with its last partial panel packed.
struct BPanels {
  const float* base;    // panel of column col0, k row 0
  size_t col0;
  size_t panel_stride;  // floats between panels
  size_t ldb;           // floats between k rows of a panel
  const float* edge;    // in place only: the packed last partial panel, or null
  const float* at(size_t j, size_t pc, size_t nr) const {
    return base + (j - col0) / nr * panel_stride + pc * ldb;
  }
};

// Row-major A whose rows are at most this many floats apart (and K in one block) is read in place
// by the tiles: a tile's rows (up to 14), 2 KiB apart at most, fall in at least 2 L1 sets of 12
// ways, so they do not evict each other, and the pack (a copy of A per call) is saved: 256x64x64
// forward 9.3-9.5 -> 8.5-8.6 us, 2048x256^2 and 512^3 1-3% (bench/NOTES.md).
constexpr size_t kInPlaceMaxRowStride = 512;

bool reads_a_in_place(const GemmKernels& t, const Problem& g, ALayout layout) {
  return layout == ALayout::rows && g.a.cs == 1 && g.a.rs <= kInPlaceMaxRowStride && g.K <= t.kc;
}

// One work item: rows [m0, m1) x columns [j0, j1), j0 on a panel boundary. Each MC block of rows
// runs all of K before the next, so its C rows stay in cache between the k blocks.
void compute_rect(const GemmKernels& t, const Problem& g, const BPanels& bp, size_t m0, size_t m1,
                  size_t j0, size_t j1, const float* bias_padded, float* abuf) {
  if (m0 >= m1 || j0 >= j1) return;
  const ALayout layout = (g.a.cs != 1 && g.a.rs == 1) ? ALayout::cols : ALayout::rows;
  const bool in_place = reads_a_in_place(t, g, layout);
  const size_t nr = t.nr;
  for (size_t ic = m0; ic < m1; ic += t.mc) {
    const size_t rows = std::min(t.mc, m1 - ic);
    for (size_t pc = 0;; pc += t.kc) {
      const size_t kc = std::min(t.kc, g.K - pc);
      const bool last = pc + kc >= g.K;
      if (!in_place) pack_a_block(g.a, layout, t, ic, rows, pc, kc, abuf);
      BlockArgs b;
      b.rows = rows;
      b.cols = j1 - j0;
      b.kc = kc;
      b.a = in_place ? g.a.p + ic * g.a.rs + pc : abuf;
      b.lda = in_place ? g.a.rs : t.a_row_stride;
      b.layout = layout;
      b.b = bp.at(j0, pc, nr);
      b.b_panel_stride = bp.panel_stride;
      b.ldb = bp.ldb;
      b.b_edge = bp.edge ? bp.edge + pc * nr : nullptr;
      b.c = g.c + ic * g.ldc + j0;
      b.ldc = g.ldc;
      b.load_c = g.load_c || pc > 0;
      b.last = last;
      b.act = g.act;
      b.bias = bias_padded ? bias_padded + j0 : nullptr;
      b.z = g.z ? g.z + ic * g.ldc + j0 : nullptr;
      b.ldz = g.ldc;
      t.block(b);
      if (last) break;
    }
  }
}

// Columns [c0, c1) of the problem, their B panels ready.
void compute_columns(Runtime& rt, const GemmKernels& t, const Problem& g, const BPanels& bp, size_t c0,
                     size_t c1, const float* bias_padded) {
  const int nt = threads_for(rt, thread_work(g.M, 2.0 * g.M * (c1 - c0) * std::max<size_t>(g.K, 1)));
  const WorkSplit w = split_work(t, g.M, c1 - c0, nt);
  const int used = static_cast<int>(std::min<size_t>(nt, w.items()));
  // The threads' A buffers, fetched (and grown) here on the calling thread; no heap allocation for
  // the usual thread counts (a malloc / free pair was ~20% of a 1x1x1 call's C++ time).
  constexpr int kInlineThreads = 16;
  float* inline_bufs[kInlineThreads];
  std::vector<float*> many_bufs(used > kInlineThreads ? used : 0);
  float** abufs = used > kInlineThreads ? many_bufs.data() : inline_bufs;
  for (int i = 0; i < used; ++i) abufs[i] = rt.thread_buffer(i, a_buffer_floats(t));
  const size_t chunks = ceil_div(w.panels, w.panel_unit);
  // Items start on the tiles of one split of all M rows (sizes differ by at most one row), so a
  // thread's share never ends in a sliver (M = 16 on 2 threads: 8 + 8 rows, not 14 + 2).
  const TileSplit rows = split_tiles(g.M, t.mr);
  auto item = [&](size_t i, int tid) {
    const size_t im = i / w.n_items, in = i % w.n_items;
    const size_t m0 = rows.first_row(rows.tiles * im / w.m_items);
    const size_t m1 = rows.first_row(rows.tiles * (im + 1) / w.m_items);
    const size_t j0 = c0 + std::min(c1 - c0, chunks * in / w.n_items * w.panel_unit * t.nr);
    const size_t j1 = c0 + std::min(c1 - c0, chunks * (in + 1) / w.n_items * w.panel_unit * t.nr);
    compute_rect(t, g, bp, m0, m1, j0, j1, bias_padded, abufs[tid]);
  };
  rt.for_each(w.items(), used, item);
}

// Packed B is built in column chunks of at most this many floats (all K rows each).
constexpr size_t kMaxPackedB = size_t(8) << 20;

}  // namespace

void run_gemm(Runtime& rt, const GemmKernels& t, const Problem& g) {
  if (g.M == 0 || g.N == 0) return;
  const size_t nr = t.nr, panels = ceil_div(g.N, nr);
  float* bias_padded = nullptr;
  if (g.bias) {
    bias_padded = rt.buffer(Runtime::kBias, panels * nr);
    std::memcpy(bias_padded, g.bias, g.N * sizeof(float));
    std::fill(bias_padded + g.N, bias_padded + panels * nr, 0.0f);
  }
  const size_t panel_floats = std::max<size_t>(g.K, 1) * nr;
  if (g.packed_b)
    return compute_columns(rt, t, g, BPanels{g.packed_b, 0, g.K * nr, nr, nullptr}, 0, g.N, bias_padded);
  if (g.b.cs == 1 && g.M <= static_cast<size_t>(t.mr)) {
    // One row of tiles uses each B element once: packing would only copy it.
    const float* edge = nullptr;
    if (g.N % nr) {
      float* e = rt.buffer(Runtime::kPackedB, panel_floats);
      pack_b_panel(g.b, g.K, (panels - 1) * nr, g.N % nr, nr, e);
      edge = e;
    }
    return compute_columns(rt, t, g, BPanels{g.b.p, 0, nr, g.b.rs, edge}, 0, g.N, bias_padded);
  }

  const size_t chunk_panels = std::max<size_t>(1, kMaxPackedB / panel_floats);
  float* bpack = rt.buffer(Runtime::kPackedB, std::min(panels, chunk_panels) * panel_floats);
  for (size_t q0 = 0; q0 < panels; q0 += chunk_panels) {
    const size_t q1 = std::min(panels, q0 + chunk_panels);
    if (g.b.cs == 1) {
      // Row-major B (dZ for dW, W for the forward): by blocks of k rows across all panels, each row
      // read once from start to end. Panel by panel, every row of B was fetched once per panel
      // with a stride the prefetchers do not follow across pages (dZ of 2048x256: 17% of dW).
      constexpr size_t kRowsPerItem = 64;
      const size_t items = ceil_div(g.K, kRowsPerItem);
      const int nrt = std::min<int>(pack_threads(rt, (q1 - q0) * panel_floats), static_cast<int>(items));
      auto pack_rows = [&](size_t i, int) {
        const size_t p0 = i * kRowsPerItem, p1 = std::min(g.K, p0 + kRowsPerItem);
        pack_b_rows(g.b, g.N, p0, p1, q0 * nr, q1 - q0, nr, panel_floats, bpack);
      };
      rt.for_each(items, nrt, pack_rows);
    } else {
      const int nt = std::min<int>(pack_threads(rt, (q1 - q0) * panel_floats), static_cast<int>(q1 - q0));
      auto pack = [&](size_t i, int) {
        const size_t j = (q0 + i) * nr, w = std::min(nr, g.N - j);
        if (t.pack_b_transposed && g.b.rs == 1)
          t.pack_b_transposed(g.b.p + j * g.b.cs, g.b.cs, g.K, w, nr, bpack + i * panel_floats);
        else
          pack_b_panel(g.b, g.K, j, w, nr, bpack + i * panel_floats);
      };
      rt.for_each(q1 - q0, nt, pack);
    }
    compute_columns(rt, t, g, BPanels{bpack, q0 * nr, g.K * nr, nr, nullptr}, q0 * nr,
                    std::min(g.N, q1 * nr), bias_padded);
  }
}

}  // namespace gemm
}  // namespace smelu
