// The Gaussian pieces of GELU, x Phi(x), as piecewise polynomials: 16 intervals of a >= 0 centred
// on k * step, a degree-5 polynomial in t = a - k step per interval (math_coeffs.h), coefficients
// fetched by a 16-entry table lookup (one vpermps on AVX-512). Accurate to ~3e-8 (H) and ~1e-7 (G)
// absolute, and cheaper than erf's rational form + division. Symmetry reduces both to |x|:
//   Phi(x)          = 1/2 + sign(x) H(|x|),  H(a) = Phi(a) - 1/2 = erf(a / sqrt 2) / 2
//   Phi(x) + x phi(x) = 1/2 + sign(x) G(|x|),  G(a) = H(a) + a phi(a)
// Interval 15 is the constant 1/2 that both reach within float32 past 14.5 step.
#pragma once
#include "../simd/inline.h"
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

}  // namespace smelu
