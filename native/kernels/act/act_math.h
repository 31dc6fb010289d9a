// The activation formulas, written once against the Vec interface (kernels/simd/vec_*.h).
// Each tier instantiates them with its own Vec type; the operations and their order are the same
// everywhere, so every tier gives the same bits. Include only from a per-ISA translation unit.
//
// Each activation is a struct with:
//   explicit A(const ActParams&)         loads the constants into registers once
//   F forward(F x) const                 f(x)
//   F backward(F z, F dy) const          dy * f'(z)
// and, for relu and smelu, F backward_from_output(F y, F dy) const.
#pragma once
#include "act.h"

namespace smelu {

template <class V>
struct IdentityAct {
  using F = typename V::F;
  explicit IdentityAct(const ActParams&) {}
  F forward(F x) const { return x; }
  // dy * 1, but NaN in z must still give NaN: adding z * 0 keeps finite values exact.
  F backward(F z, F dy) const { return V::select(V::is_nan(z), z, dy); }
};

template <class V>
struct ReluAct {
  using F = typename V::F;
  F zero = V::zero();
  explicit ReluAct(const ActParams&) {}
  // max(0, x): x in the second operand, so NaN propagates.
  F forward(F x) const { return V::max(zero, x); }
  // f'(z) = 1 for z > 0 else 0 (0 at z = 0); NaN z gives NaN.
  F backward(F z, F dy) const {
    F g = V::select(V::gt(z, zero), dy, zero);
    return V::select(V::is_nan(z), z, g);
  }
  F backward_from_output(F y, F dy) const { return backward(y, dy); }
};

template <class V>
struct SmeluAct {
  using F = typename V::F;
  F zero = V::zero(), one = V::set1(1.0f), beta, inv2b, invb;
  explicit SmeluAct(const ActParams& a) : beta(V::set1(a.p[0])), inv2b(V::set1(a.c[0])), invb(V::set1(a.c[1])) {}
  // t = max(0, x + beta), m = min(1, t / (2 beta)), f = m (t - beta m).
  // Left of -beta t = 0 so f = 0 exactly, also for x = -inf; in the transition
  // m (t - beta m) = t^2 / (4 beta); right of beta m = 1 and f = t - beta = x.
  F forward(F x) const {
    F t = V::max(zero, V::add(x, beta));
    F m = V::min(one, V::mul(t, inv2b));
    return V::mul(m, V::fnma(beta, m, t));
  }
  // f'(z) = clamp((z + beta) / (2 beta), 0, 1).
  F backward(F z, F dy) const {
    F m = V::min(one, V::max(zero, V::fma(z, inv2b, V::set1(0.5f))));
    return V::mul(dy, m);
  }
  // From y: f' = sqrt(clamp(y / beta, 0, 1)) (0 for y <= 0, 1 for y >= beta).
  F backward_from_output(F y, F dy) const {
    F r = V::min(one, V::max(zero, V::mul(y, invb)));
    return V::mul(dy, V::sqrt(r));
  }
};

}  // namespace smelu
