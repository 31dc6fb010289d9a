// The optimizer updates of optim.h for one Vec type V. Each update is written once against the
// Vec interface; the main loop runs it on VecUnroll<V, kOptimUnroll> (independent chains through
// the divisions and square roots), the remainder on V, and the last partial vector as a masked
// (zero-padded) vector, so every element goes through the same V operations whatever its position.
#pragma once
#include <cstddef>

#include "../simd/vec_unroll.h"
#include "optim.h"

namespace smelu {

constexpr int kOptimUnroll = 2;

// Each op: kStates state arrays; apply() updates w and the states of one vector.

// w -= lr * (g + l2 w)
template <class U>
struct SgdOp {
  static constexpr int kStates = 0;
  using F = typename U::F;
  const F lr, l2;
  explicit SgdOp(const OptimParams& p) : lr(U::set1(p.lr)), l2(U::set1(p.l2)) {}
  SMELU_INLINE void apply(F& w, const F& g, F&, F&) const {
    const F gi = U::fma(l2, w, g);
    w = U::fnma(lr, gi, w);
  }
};

// v = mu v + gi; w -= lr * (nesterov ? gi + mu v : v)
template <class U, bool kNesterov>
struct MomentumOp {
  static constexpr int kStates = 1;
  using F = typename U::F;
  const F lr, l2, mu;
  explicit MomentumOp(const OptimParams& p) : lr(U::set1(p.lr)), l2(U::set1(p.l2)), mu(U::set1(p.mu)) {}
  SMELU_INLINE void apply(F& w, const F& g, F& vel, F&) const {
    const F gi = U::fma(l2, w, g);
    const F v = U::fma(mu, vel, gi);
    vel = v;
    const F d = kNesterov ? U::fma(mu, v, gi) : v;
    w = U::fnma(lr, d, w);
  }
};
template <class U>
using SgdMomentumOp = MomentumOp<U, false>;
template <class U>
using SgdNesterovOp = MomentumOp<U, true>;

// a += gi^2; w -= (lr gi) / (sqrt(a) + eps)
template <class U>
struct AdagradOp {
  static constexpr int kStates = 1;
  using F = typename U::F;
  const F lr, l2, eps;
  explicit AdagradOp(const OptimParams& p) : lr(U::set1(p.lr)), l2(U::set1(p.l2)), eps(U::set1(p.eps)) {}
  SMELU_INLINE void apply(F& w, const F& g, F& acc, F&) const {
    const F gi = U::fma(l2, w, g);
    const F a = U::fma(gi, gi, acc);
    acc = a;
    w = U::sub(w, U::div(U::mul(lr, gi), U::add(U::sqrt(a), eps)));
  }
};

// m1 = b1 m1 + (1 - b1) gi; m2 = b2 m2 + (1 - b2) gi gi;
// w = w shrink - (lr (m1 / c1)) / (sqrt(m2 / c2) + eps)
template <class U>
struct AdamOp {
  static constexpr int kStates = 2;
  using F = typename U::F;
  const F lr, l2, b1, b2, omb1, omb2, eps, c1, c2, shrink;
  explicit AdamOp(const OptimParams& p)
      : lr(U::set1(p.lr)), l2(U::set1(p.l2)), b1(U::set1(p.b1)), b2(U::set1(p.b2)), omb1(U::set1(p.omb1)),
        omb2(U::set1(p.omb2)), eps(U::set1(p.eps)), c1(U::set1(p.c1)), c2(U::set1(p.c2)), shrink(U::set1(p.shrink)) {}
  SMELU_INLINE void apply(F& w, const F& g, F& m1, F& m2) const {
    const F gi = U::fma(l2, w, g);
    const F a = U::fma(omb1, gi, U::mul(b1, m1));
    const F b = U::fma(U::mul(omb2, gi), gi, U::mul(b2, m2));
    m1 = a;
    m2 = b;
    const F num = U::mul(lr, U::div(a, c1));
    const F den = U::add(U::sqrt(U::div(b, c2)), eps);
    w = U::sub(U::mul(w, shrink), U::div(num, den));
  }
};

// Whole vectors of U from i while they fit; returns where it stopped.
template <class U, template <class> class Op>
SMELU_INLINE size_t optim_body(const OptimParams& p, float* w, const float* g, float* s1, float* s2, size_t i,
                               size_t n) {
  using O = Op<U>;
  const O op(p);
  for (; i + U::kWidth <= n; i += U::kWidth) {
    typename U::F wv = U::load(w + i), a = U::zero(), b = U::zero();
    if constexpr (O::kStates >= 1) a = U::load(s1 + i);
    if constexpr (O::kStates >= 2) b = U::load(s2 + i);
    op.apply(wv, U::load(g + i), a, b);
    U::store(w + i, wv);
    if constexpr (O::kStates >= 1) U::store(s1 + i, a);
    if constexpr (O::kStates >= 2) U::store(s2 + i, b);
  }
  return i;
}

template <class V, template <class> class Op>
void optim_loop(const OptimParams& p, float* w, const float* g, float* s1, float* s2, size_t n) {
  size_t i = optim_body<VecUnroll<V, kOptimUnroll>, Op>(p, w, g, s1, s2, 0, n);
  i = optim_body<V, Op>(p, w, g, s1, s2, i, n);
  const size_t count = n - i;
  if (count == 0) return;
  using O = Op<V>;
  const O op(p);
  typename V::F wv = V::load_first(w + i, count), a = V::zero(), b = V::zero();
  if constexpr (O::kStates >= 1) a = V::load_first(s1 + i, count);
  if constexpr (O::kStates >= 2) b = V::load_first(s2 + i, count);
  op.apply(wv, V::load_first(g + i, count), a, b);
  V::store_first(w + i, wv, count);
  if constexpr (O::kStates >= 1) V::store_first(s1 + i, a, count);
  if constexpr (O::kStates >= 2) V::store_first(s2 + i, b, count);
}

template <class V>
struct OptimEntry {
  static void step(const OptimParams& p, float* w, const float* g, float* s1, float* s2, size_t n) {
    switch (p.kind) {
      case OptimKind::sgd:
        if (!p.momentum) return optim_loop<V, SgdOp>(p, w, g, s1, s2, n);
        if (p.nesterov) return optim_loop<V, SgdNesterovOp>(p, w, g, s1, s2, n);
        return optim_loop<V, SgdMomentumOp>(p, w, g, s1, s2, n);
      case OptimKind::adagrad: return optim_loop<V, AdagradOp>(p, w, g, s1, s2, n);
      case OptimKind::adam: return optim_loop<V, AdamOp>(p, w, g, s1, s2, n);
      default: return;
    }
  }
  static constexpr OptimKernels table() { return {&step}; }
};

}  // namespace smelu
