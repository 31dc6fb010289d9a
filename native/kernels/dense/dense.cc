// The dense entry points on the GEMM frame. The three products of a layer need no transpose:
//     forward  y  = f(x W + b)   A = x   [m x k] rows,  B = W   [k x n] rows
//     backward dx = dZ W^T       A = dZ  [m x n] rows,  B = W^T (W read with swapped strides)
//              dW (+)= x^T dZ    A = x^T (x with swapped strides), B = dZ
#include "dense.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "dense_runtime.h"

namespace smelu {

struct PackedWeights {
  size_t k = 0, n = 0, nr = 0;
  std::unique_ptr<float, decltype(&std::free)> data{nullptr, &std::free};
};

namespace {

using gemm::ceil_div;
using gemm::Problem;
using gemm::Strided;

// W [k x n] into NR-column panels of all k rows (the layout run_gemm packs B into).
void pack_panels(DenseRuntime& rt, size_t k, size_t n, size_t nr, const float* w, float* out) {
  const size_t panels = ceil_div(n, nr), panel_floats = k * nr;
  const Strided b{w, n, 1};
  constexpr size_t kRowsPerItem = 64;  // by blocks of rows across all panels (gemm::pack_b_rows)
  const size_t items = ceil_div(k, kRowsPerItem);
  const int nt = std::min<int>(gemm::pack_threads(rt, k * n), static_cast<int>(std::max<size_t>(items, 1)));
  auto pack = [&](size_t i, int) {
    gemm::pack_b_rows(b, n, i * kRowsPerItem, std::min(k, (i + 1) * kRowsPerItem), 0, panels, nr, panel_floats, out);
  };
  rt.for_each(items, nt, pack);
}

// A pack made for another tile width (setIsa changed the tier since): back to row-major W.
const float* unpack_panels(DenseRuntime& rt, const PackedWeights& pw) {
  float* w = rt.buffer(DenseRuntime::kUnpackedW, pw.k * pw.n);
  for (size_t j = 0; j < pw.n; ++j) {
    const float* panel = pw.data.get() + (j / pw.nr) * pw.k * pw.nr + j % pw.nr;
    for (size_t p = 0; p < pw.k; ++p) w[p * pw.n + j] = panel[p * pw.nr];
  }
  return w;
}

}  // namespace

std::shared_ptr<PackedWeights> pack_weights(const GemmKernels& t, size_t k, size_t n, const float* w) {
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

void dense_forward(const GemmKernels& t, const DenseForward& a) {
  if (a.m == 0 || a.n == 0) return;
  CallScope scope;
  DenseRuntime& rt = scope.rt();
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
void derivative_pass(DenseRuntime& rt, const ActKernels& k, const DenseBackward& a, float* dz) {
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

// m <= kDotMaxRows: dx = dZ W^T as dots over W's rows in place (packing W^T for the GEMM would
// cost more than the product) and dW (+)= x^T dZ as a rank-m update, both by rows p of W and dW in
// one sweep, so W is read once and dW written once. Threads split those rows; every dot and every
// dW chain keeps its one order.
void small_batch_products(DenseRuntime& rt, const GemmKernels& t, const DenseBackward& a, const float* dz) {
  const gemm::RowsArgs d{a.m, a.n, dz, a.n, a.w, a.n, a.dx, a.k, false};
  const gemm::RowsArgs r{a.m, a.n, a.x, a.k, dz, a.n, a.dw, a.n, a.accumulate};
  constexpr size_t kRowsPerItem = 16;
  const size_t items = ceil_div(a.k, kRowsPerItem);
  if (items == 0) return;
  const int nt = std::min<int>(gemm::threads_for(rt, gemm::thread_work(a.m, 4.0 * a.m * a.k * a.n)), static_cast<int>(items));
  auto rows = [&](size_t q, int) {
    const size_t p0 = q * kRowsPerItem, p1 = std::min(a.k, p0 + kRowsPerItem);
    if (a.dx) t.dot_rows(d, p0, p1);
    t.rank_rows(r, p0, p1);
  };
  rt.for_each(items, nt, rows);
}

// k, n <= kRankMaxDim: dW (+)= x^T dZ as the rank-m update of the small-batch path for any m. The
// GEMM would pack all of x^T and dZ for a product with only ~k * n / (MR * NR) tiles; the update
// reads both in place (same FMA chains, so the same bits). Threads split the rows of dW.
void rank_update(DenseRuntime& rt, const GemmKernels& t, const DenseBackward& a, const float* dz) {
  const gemm::RowsArgs r{a.m, a.n, a.x, a.k, dz, a.n, a.dw, a.n, a.accumulate};
  constexpr size_t kRowsPerItem = 8;
  const size_t items = ceil_div(a.k, kRowsPerItem);
  const int nt = std::min<int>(gemm::threads_for(rt, 2.0 * a.m * a.k * a.n), static_cast<int>(items));
  auto rows = [&](size_t q, int) {
    const size_t p0 = q * kRowsPerItem;
    t.rank_rows(r, p0, std::min(a.k, p0 + kRowsPerItem));
  };
  rt.for_each(items, nt, rows);
}

}  // namespace

void dense_backward(const GemmKernels& t, const ActKernels& act, const DenseBackward& a) {
  CallScope scope;
  DenseRuntime& rt = scope.rt();
  const size_t m = a.m, k = a.k, n = a.n;
  float* dz = rt.buffer(DenseRuntime::kDz, m * n);
  derivative_pass(rt, act, a, dz);
  if (m <= kDotMaxRows) return small_batch_products(rt, t, a, dz);
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
  if (k <= kRankMaxDim && n <= kRankMaxDim) return rank_update(rt, t, a, dz);
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

}  // namespace smelu
