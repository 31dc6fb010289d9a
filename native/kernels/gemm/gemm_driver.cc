// The portable GEMM driver: BLIS-style blocking and packing, the thread split, and the dense
// entry points built on one general packed GEMM
//     C[M x N] (+)= A[M x K] B[K x N], then + bias, z, activation on the last k block.
// A and B are strided views, so the three products of a dense layer need no explicit transpose:
//     forward  y  = f(x W + b)   A = x   [m x k] rows,  B = W   [k x n] rows
//     backward dx = dZ W^T       A = dZ  [m x n] rows,  B = W^T (W read with swapped strides)
//              dW (+)= x^T dZ    A = x^T (x with swapped strides), B = dZ
// Threads split only the M x N tiles, never k, and every C element is one FMA chain in k order,
// so neither the blocking, the tier nor the thread count changes a bit (see gemm.h).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "../../threadpool.h"
#include "dense.h"
#include "gemm.h"

namespace smelu {

namespace {

// Grow-only 64-byte aligned float buffer.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(p_); }
  float* get(size_t floats) {
    if (floats > cap_) {
      std::free(p_);
      p_ = nullptr;
      cap_ = 0;
      const size_t bytes = (std::max<size_t>(floats, 16) * sizeof(float) + 63) / 64 * 64;
      p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p_) throw std::bad_alloc();
      cap_ = floats;
    }
    return p_;
  }
  float* data() const { return p_; }
  size_t capacity() const { return cap_; }
  void release() {
    std::free(p_);
    p_ = nullptr;
    cap_ = 0;
  }

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};

// Scratch slots kept between calls: allocating (and page-faulting) megabytes per call costs more
// than a small dense call itself.
enum Slot : size_t { kPackedB, kBias, kDz, kUnpackedW, kThreadA };
constexpr size_t kKeepFloats = size_t(16) << 20;  // buffers above 64 MiB are freed after a call

// One dense call at a time owns the pool and the scratch (guarded by `call`). Heap allocated and
// never destroyed: a call that starts on a libuv thread during exit() still finds it intact; the
// workers are joined at exit by ShutdownAtExit, after which calls run on the caller's thread.
struct Runtime {
  std::mutex call;
  std::atomic<int> threads{std::max(1, static_cast<int>(std::thread::hardware_concurrency()))};
  std::unique_ptr<ThreadPool> pool;
  bool shut_down = false;
  std::vector<Buffer> buffers{std::vector<Buffer>(kThreadA + 64)};

  float* buffer(size_t slot, size_t floats) { return buffers.at(slot).get(floats); }
  float* thread_buffer(int tid, size_t floats) { return buffer(kThreadA + tid, floats); }

  // Threads a call may use (1 after shutdown).
  int usable_threads() const { return shut_down ? 1 : std::min(threads.load(), 64); }

  // f(item, tid) for every item on up to nt threads (tid < nt).
  template <class F>
  void for_each(size_t items, int nt, F& f) {
    if (nt <= 1 || items <= 1 || shut_down) {
      for (size_t i = 0; i < items; ++i) f(i, 0);
      return;
    }
    if (!pool) pool.reset(new ThreadPool(usable_threads()));
    pool->for_each(items, nt, f);
  }

  void trim() {
    for (auto& b : buffers)
      if (b.capacity() > kKeepFloats) b.release();
  }
};

Runtime& runtime() {
  static Runtime* r = new Runtime();
  return *r;
}

struct ShutdownAtExit {
  ~ShutdownAtExit() {
    Runtime& r = runtime();
    std::lock_guard<std::mutex> l(r.call);  // waits for a call in flight on another thread
    r.pool.reset();
    r.shut_down = true;
  }
} shutdown_at_exit;

// Holds the call lock for one dense call and trims oversized scratch at its end.
class CallScope {
 public:
  CallScope() : rt_(runtime()), lock_(rt_.call) {}
  ~CallScope() { rt_.trim(); }
  Runtime& rt() { return rt_; }

 private:
  Runtime& rt_;
  std::lock_guard<std::mutex> lock_;
};

size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

}  // namespace

namespace gemm {

const Tier& tier_for(Isa isa) {
  switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return tier_avx2;
    case Isa::avx512: return tier_avx512;
#endif
#if defined(__aarch64__)
    case Isa::neon: return tier_neon;
#endif
    default: return tier_scalar;
  }
}

namespace {

struct Problem {
  size_t M, N, K;
  Strided a;
  Strided b;               // read when packed_b is null
  const float* packed_b;   // NR-column panels of all K rows (panel q at packed_b + q * K * NR)
  float* c;
  size_t ldc;
  bool load_c;
  const ActParams* act;    // null: identity
  const float* bias;       // [N] or null
  float* z;                // [M x N] with stride ldc, or null
};

// ---- packing ----

// B columns [j, j + w) as one NR-wide panel of K rows; columns w..NR are zero.
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

// Rows [i, i + rows) x k range [p0, p0 + kc) of A into the tier's packed layout.
void pack_a_block(const Strided& a, ALayout layout, const Tier& t, size_t i, size_t rows, size_t p0,
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
  const TileSplit s = split_tiles(rows, t.mr);
  for (size_t tile = 0; tile < s.tiles; ++tile) {
    const size_t r0 = i + s.first_row(tile), nrows = s.rows_of(tile);
    float* dst = out + tile * t.mr * kc;
    for (size_t p = 0; p < kc; ++p) {
      const float* src = a.p + (p0 + p) * a.cs + r0 * a.rs;
      for (size_t r = 0; r < nrows; ++r) dst[p * t.mr + r] = a.rs == 1 ? src[r] : src[r * a.rs];
    }
  }
}

size_t a_buffer_floats(const Tier& t) {
  return std::max(t.mc * t.a_row_stride, (t.mc + t.mr) * t.kc);
}

// ---- the split of one GEMM over threads ----

// Below this many FLOPs per thread, waking another thread costs more than it saves.
constexpr double kMinFlopsPerThread = 2e6;

// The work of one GEMM as items of (a group of M tiles) x (a chunk of N panels) that threads take
// in order from a shared counter: a thread slowed by other work (the event loop, another process)
// then costs its share only, not the whole call. Each C element still belongs to exactly one item.
struct WorkSplit {
  size_t m_items, n_items;
  size_t mtiles, panels, panel_unit;  // n chunks are whole multiples of panel_unit panels
  size_t items() const { return m_items * n_items; }
};

WorkSplit split_work(const Tier& t, size_t M, size_t cols, int nt) {
  WorkSplit w;
  w.mtiles = ceil_div(M, t.mr);
  w.panels = ceil_div(cols, t.nr);
  w.panel_unit = M <= 3 ? 4 : 1;  // thin tiles take 4 panels at once (run_thin)
  const size_t blocks = ceil_div(w.mtiles, t.mc / t.mr);
  if (nt <= 1) {
    w.m_items = blocks;
    w.n_items = 1;
    return w;
  }
  // ~16 items per thread: the last item of a thread bounds the idle tail of the others. N is cut
  // only into chunks of >= 4 panels (each chunk packs its rows of A again).
  const size_t target = 16 * static_cast<size_t>(nt);
  const size_t min_chunk = std::max<size_t>(w.panel_unit, 4);
  w.m_items = std::min(w.mtiles, std::max(blocks, target));
  w.n_items = std::max<size_t>(1, std::min(w.panels / min_chunk, ceil_div(target, w.m_items)));
  w.panel_unit = w.n_items > 1 ? min_chunk : w.panel_unit;
  return w;
}

int threads_for(const Runtime& rt, double flops) {
  const double want = flops / kMinFlopsPerThread;
  return std::max(1, std::min(rt.usable_threads(), static_cast<int>(std::min(want, 1024.0))));
}

// Part `i` of `parts` of [0, n) in units of `unit`.
size_t part_begin(size_t n, size_t unit, size_t parts, size_t i) {
  const size_t units = ceil_div(n, unit);
  return std::min(n, units * i / parts * unit);
}

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

// One work item: rows [m0, m1) x columns [j0, j1), j0 on a panel boundary. Each MC block of rows
// runs all of K before the next, so its C rows stay in cache between the k blocks.
void compute_rect(const Tier& t, const Problem& g, const BPanels& bp, size_t m0, size_t m1,
                  size_t j0, size_t j1, const float* bias_padded, float* abuf) {
  if (m0 >= m1 || j0 >= j1) return;
  const ALayout layout = (g.a.cs != 1 && g.a.rs == 1) ? ALayout::cols : ALayout::rows;
  const size_t nr = t.nr;
  for (size_t ic = m0; ic < m1; ic += t.mc) {
    const size_t rows = std::min(t.mc, m1 - ic);
    for (size_t pc = 0;; pc += t.kc) {
      const size_t kc = std::min(t.kc, g.K - pc);
      const bool last = pc + kc >= g.K;
      pack_a_block(g.a, layout, t, ic, rows, pc, kc, abuf);
      BlockArgs b;
      b.rows = rows;
      b.cols = j1 - j0;
      b.kc = kc;
      b.a = abuf;
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
void compute_columns(Runtime& rt, const Tier& t, const Problem& g, const BPanels& bp, size_t c0,
                     size_t c1, const float* bias_padded) {
  const int nt = threads_for(rt, 2.0 * g.M * (c1 - c0) * std::max<size_t>(g.K, 1));
  const WorkSplit w = split_work(t, g.M, c1 - c0, nt);
  const int used = static_cast<int>(std::min<size_t>(nt, w.items()));
  std::vector<float*> abufs;
  for (int i = 0; i < used; ++i) abufs.push_back(rt.thread_buffer(i, a_buffer_floats(t)));
  const size_t chunks = ceil_div(w.panels, w.panel_unit);
  auto item = [&](size_t i, int tid) {
    const size_t im = i / w.n_items, in = i % w.n_items;
    const size_t m0 = std::min(g.M, w.mtiles * im / w.m_items * t.mr);
    const size_t m1 = std::min(g.M, w.mtiles * (im + 1) / w.m_items * t.mr);
    const size_t j0 = c0 + std::min(c1 - c0, chunks * in / w.n_items * w.panel_unit * t.nr);
    const size_t j1 = c0 + std::min(c1 - c0, chunks * (in + 1) / w.n_items * w.panel_unit * t.nr);
    compute_rect(t, g, bp, m0, m1, j0, j1, bias_padded, abufs[tid]);
  };
  rt.for_each(w.items(), used, item);
}

// Packed B is built in column chunks of at most this many floats (all K rows each).
constexpr size_t kMaxPackedB = size_t(8) << 20;

void run_gemm(Runtime& rt, const Tier& t, const Problem& g) {
  if (g.M == 0 || g.N == 0) return;
  const size_t nr = t.nr, panels = ceil_div(g.N, nr);
  float* bias_padded = nullptr;
  if (g.bias) {
    bias_padded = rt.buffer(kBias, panels * nr);
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
      float* e = rt.buffer(kPackedB, panel_floats);
      pack_b_panel(g.b, g.K, (panels - 1) * nr, g.N % nr, nr, e);
      edge = e;
    }
    return compute_columns(rt, t, g, BPanels{g.b.p, 0, nr, g.b.rs, edge}, 0, g.N, bias_padded);
  }

  const size_t chunk_panels = std::max<size_t>(1, kMaxPackedB / panel_floats);
  float* bpack = rt.buffer(kPackedB, std::min(panels, chunk_panels) * panel_floats);
  for (size_t q0 = 0; q0 < panels; q0 += chunk_panels) {
    const size_t q1 = std::min(panels, q0 + chunk_panels);
    const int nt = std::min<int>(threads_for(rt, 8.0 * (q1 - q0) * panel_floats), static_cast<int>(q1 - q0));
    auto pack = [&](size_t i, int) {
      const size_t j = (q0 + i) * nr;
      pack_b_panel(g.b, g.K, j, std::min(nr, g.N - j), nr, bpack + i * panel_floats);
    };
    rt.for_each(q1 - q0, nt, pack);
    compute_columns(rt, t, g, BPanels{bpack, q0 * nr, g.K * nr, nr, nullptr}, q0 * nr,
                    std::min(g.N, q1 * nr), bias_padded);
  }
}

}  // namespace
}  // namespace gemm

// ---- dense entry points ----

struct PackedWeights {
  size_t k = 0, n = 0, nr = 0;
  std::unique_ptr<float, decltype(&std::free)> data{nullptr, &std::free};
};

namespace {

using gemm::Problem;
using gemm::Strided;
using gemm::Tier;

// W [k x n] into NR-column panels of all k rows (the layout run_gemm packs B into).
void pack_panels(Runtime& rt, size_t k, size_t n, size_t nr, const float* w, float* out) {
  const size_t panels = ceil_div(n, nr), panel_floats = k * nr;
  const Strided b{w, n, 1};
  const int nt = std::min<int>(gemm::threads_for(rt, 8.0 * k * n), static_cast<int>(std::max<size_t>(panels, 1)));
  auto pack = [&](size_t q, int) {
    gemm::pack_b_panel(b, k, q * nr, std::min(nr, n - q * nr), nr, out + q * panel_floats);
  };
  rt.for_each(panels, nt, pack);
}

// A pack made for another tile width (setIsa changed the tier since): back to row-major W.
const float* unpack_panels(Runtime& rt, const PackedWeights& pw) {
  float* w = rt.buffer(kUnpackedW, pw.k * pw.n);
  for (size_t j = 0; j < pw.n; ++j) {
    const float* panel = pw.data.get() + (j / pw.nr) * pw.k * pw.nr + j % pw.nr;
    for (size_t p = 0; p < pw.k; ++p) w[p * pw.n + j] = panel[p * pw.nr];
  }
  return w;
}

}  // namespace

std::shared_ptr<PackedWeights> pack_weights(Isa isa, size_t k, size_t n, const float* w) {
  const Tier& t = gemm::tier_for(isa);
  auto pw = std::make_shared<PackedWeights>();
  pw->k = k;
  pw->n = n;
  pw->nr = t.nr;
  const size_t floats = std::max<size_t>(k * ceil_div(n, t.nr) * t.nr, 16);
  pw->data.reset(static_cast<float*>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64)));
  if (!pw->data) throw std::bad_alloc();
  CallScope scope;
  pack_panels(scope.rt(), k, n, t.nr, w, pw->data.get());
  return pw;
}

void dense_forward(Isa isa, const DenseForward& a) {
  if (a.m == 0 || a.n == 0) return;
  const Tier& t = gemm::tier_for(isa);
  CallScope scope;
  Runtime& rt = scope.rt();
  Problem g{};
  g.M = a.m;
  g.N = a.n;
  g.K = a.k;
  g.a = Strided{a.x, a.k, 1};
  g.b = Strided{a.w, a.n, 1};
  if (a.packed) {
    if (a.packed->nr == static_cast<size_t>(t.nr))
      g.packed_b = a.packed->data.get();
    else
      g.b = Strided{unpack_panels(rt, *a.packed), a.n, 1};
  }
  g.c = a.y;
  g.ldc = a.n;
  g.act = &a.act;
  g.bias = a.b;
  g.z = a.z;
  gemm::run_gemm(rt, t, g);
}

namespace {

// db (+)= the column sums of dz [m x n] over columns [j0, j1), row after row.
void add_column_sums(const float* dz, size_t n, size_t i0, size_t i1, size_t j0, size_t j1, float* db) {
  for (size_t i = i0; i < i1; ++i) {
    const float* row = dz + i * n;
    for (size_t j = j0; j < j1; ++j) db[j] += row[j];
  }
}

// dZ = dy * f'(saved) into dz [m x n], and db (+)= its column sums in row order. Alone, a thread
// adds each group of rows into db while it is still in L1; with several, dz is split by rows (few,
// long activation calls) and then db by columns (each db element summed by one thread, in order).
void derivative_pass(Runtime& rt, Isa isa, const DenseBackward& a, float* dz) {
  const ActKernels& k = act_kernels(isa);
  const auto act = a.saved_is_output ? k.backward_from_output : k.backward;
  const size_t m = a.m, n = a.n;
  if (a.db && !a.accumulate) std::fill(a.db, a.db + n, 0.0f);
  if (m == 0 || n == 0) return;
  const size_t rows_per = std::max<size_t>(1, 4096 / n);
  const size_t row_groups = ceil_div(m, rows_per);
  const int nt = std::min<int>(gemm::threads_for(rt, 16.0 * m * n), static_cast<int>(row_groups));
  auto rows = [&](size_t r, int) {
    const size_t i0 = r * rows_per, i1 = std::min(m, i0 + rows_per);
    act(a.act, a.saved + i0 * n, a.dy + i0 * n, dz + i0 * n, (i1 - i0) * n);
    if (a.db && nt <= 1) add_column_sums(dz, n, i0, i1, 0, n, a.db);
  };
  rt.for_each(row_groups, nt, rows);
  if (!a.db || nt <= 1) return;
  const size_t chunks = std::min(ceil_div(n, 64), 4 * static_cast<size_t>(nt));
  auto columns = [&](size_t c, int) {
    const size_t j0 = gemm::part_begin(n, 16, chunks, c), j1 = gemm::part_begin(n, 16, chunks, c + 1);
    add_column_sums(dz, n, 0, m, j0, j1, a.db);
  };
  rt.for_each(chunks, nt, columns);
}

}  // namespace

void dense_backward(Isa isa, const DenseBackward& a) {
  const Tier& t = gemm::tier_for(isa);
  CallScope scope;
  Runtime& rt = scope.rt();
  const size_t m = a.m, k = a.k, n = a.n;
  float* dz = rt.buffer(kDz, m * n);
  derivative_pass(rt, isa, a, dz);
  if (a.dx) {
    Problem g{};
    g.M = m;
    g.N = k;
    g.K = n;
    g.a = Strided{dz, n, 1};
    g.b = Strided{a.w, 1, n};  // B[j][p] = W[p][j]
    g.c = a.dx;
    g.ldc = k;
    gemm::run_gemm(rt, t, g);
  }
  Problem g{};
  g.M = k;
  g.N = n;
  g.K = m;
  g.a = Strided{a.x, 1, k};  // A[p][i] = x[i][p]
  g.b = Strided{dz, n, 1};
  g.c = a.dw;
  g.ldc = n;
  g.load_c = a.accumulate;
  gemm::run_gemm(rt, t, g);
}

void set_threads(int n) {
  CallScope scope;
  Runtime& rt = scope.rt();
  rt.threads = std::max(1, n);
  if (rt.pool) rt.pool->resize(rt.usable_threads());
}

int get_threads() { return runtime().threads.load(); }

}  // namespace smelu
