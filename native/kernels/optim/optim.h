// Optimizer update kernels: SGD (plain, momentum, Nesterov), Adagrad, Adam / AdamW, elementwise
// over float32 arrays. The formulas follow lib/nn/optim.ts operation by operation, but in float32
// (the TypeScript loops compute in float64 per element), so native and TypeScript training differ
// in the last bits. Every tier runs the same IEEE operations (fma, mul, add, sub, div, sqrt) in the
// same order on each element, so the tiers agree bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>

namespace smelu {

// The codes lib/nn/optim.ts passes. AdamW is adam with l2 = 0 and shrink = 1 - lr * wd; Adam has
// shrink = 1.
enum class OptimKind : int32_t { sgd = 0, adagrad = 1, adam = 2, count };

// Slots of the float64 hyperparameter array (unused slots are ignored):
//   sgd:     [lr, l2, momentum, nesterov (0 or 1)]
//   adagrad: [lr, l2, eps]
//   adam:    [lr, l2, beta1, beta2, eps, c1 = 1 - beta1^t, c2 = 1 - beta2^t, shrink]
constexpr int kOptimHyperSlots = 8;

// Float32 constants derived once from the float64 hyperparameters, shared by every tier.
struct OptimParams {
  OptimKind kind = OptimKind::sgd;
  float lr = 0, l2 = 0;
  float mu = 0;                 // sgd momentum
  bool momentum = false;        // sgd: the float64 momentum is not 0 (else plain SGD, no state)
  bool nesterov = false;
  float eps = 0;                // adagrad, adam
  float b1 = 0, b2 = 0;         // adam
  float omb1 = 1, omb2 = 1;     // 1 - beta1, 1 - beta2 (taken in float64, then rounded)
  float c1 = 1, c2 = 1, shrink = 1;
};

// kind must be in range (the addon checks); hyper holds kOptimHyperSlots values.
OptimParams make_optim_params(int32_t kind, const double* hyper);

// State arrays each kind reads and writes: sgd 1 with momentum (the velocity) else 0, adagrad 1
// (the accumulator), adam 2 (first and second moments).
int optim_states(const OptimParams& p);

// Updates w[0..n) in place from g, with the states s1, s2 (nullptr where unused). The arrays must
// not overlap one another.
struct OptimKernels {
  void (*step)(const OptimParams&, float* w, const float* g, float* s1, float* s2, size_t n);
};

extern const OptimKernels optim_kernels_scalar;
#if defined(__x86_64__)
extern const OptimKernels optim_kernels_avx2;
extern const OptimKernels optim_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const OptimKernels optim_kernels_neon;
#endif

}  // namespace smelu
