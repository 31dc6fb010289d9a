// log1p(e) for e in [0, 1], the range softplus needs (e = exp(-|beta x|)): e * P(e) with P a
// minimax polynomial (math_coeffs.h), relative error ~1e-7 everywhere including e -> 0, which a
// log(1 + e) formed in float would lose.
#pragma once
#include "../simd/inline.h"
#include "math_coeffs.h"

namespace smelu {

template <class V>
struct Log1pUnit {
  using F = typename V::F;
  static constexpr int kDeg = mathc::kLog1pDegree;
  F c[kDeg + 1];

  Log1pUnit() {
    for (int k = 0; k <= kDeg; ++k) c[k] = V::set1(mathc::kLog1p[k]);
  }

  // NaN propagates.
  SMELU_INLINE F operator()(F e) const { return V::mul(e, poly(e)); }

  // m + log1p(e) with one rounding (softplus adds max(beta x, 0)): one operation fewer.
  SMELU_INLINE F plus(F e, F m) const { return V::fma(e, poly(e), m); }

 private:
  SMELU_INLINE F poly(F e) const {
    F p = c[kDeg];
    for (int k = kDeg - 1; k >= 0; --k) p = V::fma(p, e, c[k]);
    return p;
  }
};

}  // namespace smelu
