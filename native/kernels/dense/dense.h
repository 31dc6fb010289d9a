// Fused dense layer: y = f(x W + b) and its gradients, on one tier's kernels (the caller picks
// them from the dispatch table). The products run on the GEMM frame (kernels/gemm/gemm_frame.h),
// the threads and scratch memory come from the dense runtime (dense_runtime.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "../act/act.h"
#include "../gemm/gemm.h"

namespace smelu {

// W [k x n] packed once into the micro-kernel's panel layout for repeated forwards.
struct PackedWeights;
std::shared_ptr<PackedWeights> pack_weights(const GemmKernels& gemm, size_t k, size_t n, const float* w);

struct DenseForward {
  size_t m, k, n;
  const float* x;                      // [m x k]
  const float* w;                      // [k x n], or null when `packed` is given
  const PackedWeights* packed;         // or null
  const float* b;                      // [n] or null
  ActParams act;
  float* y;                            // [m x n]
  float* z;                            // [m x n] pre-activation, or null
};

struct DenseBackward {
  size_t m, k, n;
  const float* x;           // [m x k]
  const float* w;           // [k x n]
  const float* dy;          // [m x n]
  const float* saved;       // z, or y when saved_is_output (relu and smelu only: the caller checks)
  bool saved_is_output;
  ActParams act;
  float* dx;                // [m x k] or null
  float* dw;                // [k x n]
  float* db;                // [n] or null
  bool accumulate;          // add into dw and db
};

// Up to this many rows, the backward computes dx = dZ W^T as dot products along n over W's rows in
// place, in the fixed 16-lane order of kernels/gemm/gemm_dot.h (no W^T pack); above, as the GEMM
// (one FMA chain per element in n order). The choice depends on m only, never on tier or threads.
constexpr size_t kDotMaxRows = 16;

// Up to this k and n (both), dW (+)= x^T dZ runs as the rank-m update of the small-batch path
// (gemm_dot.h) for any m: same chains as the GEMM, no packing.
constexpr size_t kRankMaxDim = 64;

void dense_forward(const GemmKernels& gemm, const DenseForward& a);
void dense_backward(const GemmKernels& gemm, const ActKernels& act, const DenseBackward& a);

// Threads used by the dense kernels (a persistent pool), 1 to kMaxThreads (threadpool.h): every
// call may use that many. Results never depend on it.
void set_threads(int n);
int get_threads();

}  // namespace smelu
