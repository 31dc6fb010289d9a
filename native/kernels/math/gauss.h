// The Gaussian pieces of GELU, x Phi(x), as piecewise polynomials: 16 intervals of a >= 0 centred
// on k * step, a degree-5 polynomial in t = a - k step per interval (math_coeffs.h), coefficients
// fetched by a 16-entry table lookup (one vpermps on AVX-512). Accurate to ~3e-8 (H) and ~1e-7 (G)
// absolute, and cheaper than erf's rational form + division. Symmetry reduces both to |x|:
//   Phi(x)          = 1/2 + sign(x) H(|x|),  H(a) = Phi(a) - 1/2 = erf(a / sqrt 2) / 2
//   Phi(x) + x phi(x) = 1/2 + sign(x) G(|x|),  G(a) = H(a) + a phi(a)
// Interval 15 is the constant 1/2 that both reach within float32 past 14.5 step.
#pragma once
#include "../simd/inline.h"
#include "exp.h"
#include "math_coeffs.h"

namespace smelu {

template <class V>
struct TablePoly16 {
  using F = typename V::F;
  using T = typename V::Table16;
  static constexpr float kShift = 0x1.8p23f;  // fma(a, 1/step, kShift) leaves round(a / step) in the low bits
  T c0, c1, c2, c3, c4, c5;
  F inv_step, step, shift, a_max;

  TablePoly16(const float (&tab)[6][16], float step_, float inv_step_)
      : c0(V::load_table16(tab[0])), c1(V::load_table16(tab[1])), c2(V::load_table16(tab[2])),
        c3(V::load_table16(tab[3])), c4(V::load_table16(tab[4])), c5(V::load_table16(tab[5])),
        inv_step(V::set1(inv_step_)), step(V::set1(step_)), shift(V::set1(kShift)),
        a_max(V::set1(15.0f * step_)) {}

  // a >= 0 or NaN; a is clamped to 15 step so the index stays in the table.
  SMELU_INLINE F operator()(F a) const {
    a = V::min(a_max, a);  // NaN kept
    const F m = V::fma(a, inv_step, shift);
    const F t = V::fnma(V::sub(m, shift), step, a);
    F p = V::fma(V::lookup16(c5, m), t, V::lookup16(c4, m));
    p = V::fma(p, t, V::lookup16(c3, m));
    p = V::fma(p, t, V::lookup16(c2, m));
    p = V::fma(p, t, V::lookup16(c1, m));
    return V::fma(p, t, V::lookup16(c0, m));
  }
};

// H(a) = Phi(a) - 1/2.
template <class V>
struct GaussCdfCentered : TablePoly16<V> {
  GaussCdfCentered() : TablePoly16<V>(mathc::kGeluH, mathc::kGeluHStep, mathc::kGeluHInvStep) {}
};

// G(a) = Phi(a) + a phi(a) - 1/2, the GELU derivative minus 1/2.
template <class V>
struct GeluSlopeCentered : TablePoly16<V> {
  GeluSlopeCentered() : TablePoly16<V>(mathc::kGeluG, mathc::kGeluGStep, mathc::kGeluGInvStep) {}
};

// H and G without tables, for tiers that have no gather (V::kTableFree: SIMD128 fetches the
// 6 coefficients lane by lane, 24 lookups per vector): 1/2 - H(a) = Phi(-a) = e^(-a^2/2) Q(a),
// Q = Phi(-a) e^(a^2/2) a degree-11 polynomial in t = a - 3.25 on [0, 6.5] (math_coeffs.h), and
// G(a) = H(a) + a phi(a) = 1/2 - e^(-a^2/2) (Q(a) - a / sqrt(2 pi)). Past a = 6.5 the exponential
// term is below 2e-9 and both are exactly 1/2 in float32, so a is clamped there (the limits at
// infinity stay exact). Absolute error ~1.1e-7 without fma (fit_coeffs.py).
template <class V>
struct GaussExpForm {
  using F = typename V::F;
  ExpScaled<V> exp{-0x1.715476p-1f};  // e^(c x) with c = -1/2: c log2(e) rounded to float32
  F a_max = V::set1(6.5f), center = V::set1(3.25f), half = V::set1(0.5f);
  F inv_sqrt_2pi = V::set1(0x1.988454p-2f);
  F q[12];
  GaussExpForm() {
    for (int k = 0; k < 12; ++k) q[k] = V::set1(mathc::kGaussQ[k]);
  }

  // H(a) for a >= 0 or NaN (NaN kept).
  SMELU_INLINE F h(F a) const {
    F e;
    const F qa = tail(V::min(a_max, a), e);
    return V::fnma(e, qa, half);
  }
  // G(a) for a >= 0 or NaN (NaN kept).
  SMELU_INLINE F g(F a) const {
    F e;
    a = V::min(a_max, a);
    const F qa = tail(a, e);
    return V::fnma(e, V::fnma(a, inv_sqrt_2pi, qa), half);
  }

 private:
  // Q(a), and e = e^(-a^2/2), for a in [0, 6.5].
  SMELU_INLINE F tail(F a, F& e) const {
    e = exp(V::mul(a, a));
    const F t = V::sub(a, center);
    F p = V::fma(q[11], t, q[10]);
    for (int k = 9; k >= 0; --k) p = V::fma(p, t, q[k]);
    return p;
  }
};

}  // namespace smelu
