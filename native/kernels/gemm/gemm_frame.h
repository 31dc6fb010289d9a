// The portable GEMM frame, BLIS style: blocking, packing and the split of the work into items,
// over one general packed product
//     C[M x N] (+)= A[M x K] B[K x N], then + bias, z, activation on the last k block.
// A and B are strided views, so a caller needs no explicit transpose. Threads split only the
// M x N tiles, never k, and every C element is one FMA chain in k order, so neither the blocking,
// the tier nor the thread count changes a bit (see gemm.h).
//
// The frame owns no threads and no memory: the caller's runtime (kernels/dense/dense_runtime.h)
// runs the items and lends the scratch buffers.
#pragma once
#include <cstddef>

#include "gemm.h"

namespace smelu {
namespace gemm {

inline size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

// What the frame asks of the runtime that calls it.
class Runtime {
 public:
  using ItemFn = void (*)(void* ctx, size_t item, int tid);
  // Scratch slots kept between calls; the frame uses these two, a caller the ones after.
  enum Slot : size_t { kPackedB, kBias, kFrameSlots };

  // Threads a call may use.
  virtual int usable_threads() const = 0;
  // A buffer of at least `floats` floats, 64-byte aligned, valid until the call ends.
  virtual float* buffer(size_t slot, size_t floats) = 0;
  // Per thread tid (< usable_threads()), for its packed A blocks.
  virtual float* thread_buffer(int tid, size_t floats) = 0;
  // fn(ctx, item, tid) for every item on up to nt threads (tid < nt).
  virtual void for_each(size_t items, int nt, ItemFn fn, void* ctx) = 0;

  template <class F>
  void for_each(size_t items, int nt, F& f) {
    for_each(items, nt, [](void* c, size_t item, int tid) { (*static_cast<F*>(c))(item, tid); }, &f);
  }

 protected:
  ~Runtime() = default;
};

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

void run_gemm(Runtime& rt, const GemmKernels& t, const Problem& g);

// B columns [j, j + w) as one NR-wide panel of K rows; columns w..NR are zero.
void pack_b_panel(const Strided& b, size_t K, size_t j, size_t w, size_t nr, float* out);

// Row-major B (cs == 1), k rows [p0, p1) of the `panels` panels from column j0 (panel q at
// out + q * panel_floats); columns past N are zero.
void pack_b_rows(const Strided& b, size_t N, size_t p0, size_t p1, size_t j0, size_t panels, size_t nr,
                 size_t panel_floats, float* out);

// Threads worth waking for `flops` of work (at least 1, at most rt.usable_threads()).
int threads_for(const Runtime& rt, double flops);

// The flops of a product whose A has `rows` rows, as threads_for counts them: 1-3 rows use each B
// element once (a GEMV or a rank-1..3 update streams W), at ~1/4 of the FMA rate (1x512x512:
// ~60 of ~250 GFLOP/s), so their flops weigh 4x.
inline double thread_work(size_t rows, double flops) { return rows <= 3 ? 4.0 * flops : flops; }

// Threads worth waking to pack `floats` floats (at least 1, at most rt.usable_threads()).
int pack_threads(const Runtime& rt, size_t floats);

// Start of part `i` of `parts` of [0, n) in units of `unit`.
size_t part_begin(size_t n, size_t unit, size_t parts, size_t i);

}  // namespace gemm
}  // namespace smelu
