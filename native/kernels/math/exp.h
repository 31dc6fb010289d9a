// exp for the activations, written once against the Vec interface so that every tier gives the
// same bits; no libm. Two variants:
// - ExpClamped: e^y with the two-step Cody-Waite reduction y = (m/16) ln2 + r and a short minimax
//   polynomial for e^r: relative error ~1.5e-7 over the whole range (softplus's log1p needs it).
// - ExpScaled: e^(c x) for a constant c straight from x (the sigmoids are FMA-pipe bound: Swish went
//   from 9.4 to 11.8 elements/ns without the Cody-Waite split): for sigmoids, whose error bounds
//   are absolute.
// Both round to m = 16 n + j (j in 0..15) and take 2^(n + j/16) from a 16-entry table whose entry
// gets n added to its exponent by an integer add, with a degree-3 polynomial on the remainder: 7
// and 6 operations on the FMA pipes where the 2^n-only forms took 9 and 8 (Swish forward 11.9 ->
// 13.4 elements/ns, softplus 5.3 -> 5.9). SIMD128 (V::kTableFree: its lookup16 is four scalar
// loads) keeps the 2^n-only forms, with degree-5 polynomials.
// Coefficients and table: math_coeffs.h (fit/fit_coeffs.py).
#pragma once
#include "../simd/inline.h"
#include "math_coeffs.h"

namespace smelu {

// Callers clamp the exponent y (c x for ExpScaled) to [kExpLo, kExpHi] = [-127, 128] ln 2
// with max/min (which keep NaN), so that the limits are exact: at the top m = 2048 exactly
// (n = 128, j = 0) and the result is +inf (what sigmoid-style formulas want at -inf:
// 1 / (1 + inf) = 0); at the bottom m = -2032 exactly (n = -127, j = 0) and it is +0 (softplus(-inf)
// = 0). Just above the bottom (n = -127, j > 0) the table form gives the denormal
// (2^(j/16) - 1) 2^-126 instead of 2^(j/16 - 127): wrong only below 1.2e-38. Past these bounds
// its integer add would leave the float exponent range.
inline constexpr float kExpLo = -0x1.601e68p+6f;  // -127 ln 2 = -88.0297
inline constexpr float kExpHi = 0x1.62e43p+6f;   // 128 ln 2 = 88.7228

// t = fma(y, log2 e, kShift) rounds y log2 e to a multiple of 1/16 (table form; t = 1.5 * 2^19 +
// n + j/16) or to the integer n (table-free form, which also adds the bias 127: t = 1.5 * 2^23 + n
// + 127); scale(t) is 2^(n + j/16) or 2^n from the bits of t.
template <class V>
struct Exp2Scale {
  using F = typename V::F;
  static constexpr bool kTable = !V::kTableFree;
  static constexpr float kShift = kTable ? 0x1.8p19f : 0x1.8p23f + 127.0f;
  static constexpr int kDeg = kTable ? 3 : 5;
  typename V::Table16 table = V::load_table16(mathc::kExp2Table16);

  SMELU_INLINE F operator()(F t) const {
    if constexpr (kTable) {
      return V::bits_add_shl19(V::lookup16(table, t), t);
    } else {
      return V::bits_shl23(t);
    }
  }
};

template <class V>
struct ExpClamped {
  using F = typename V::F;
  using S = Exp2Scale<V>;
  static constexpr int kDeg = S::kDeg;
  static constexpr const float* kPoly = S::kTable ? mathc::kExpFine : mathc::kExp;

  S scale;
  F log2e = V::set1(0x1.715476p+0f);
  F shift = V::set1(S::kShift);
  // m = t - shift = n + j/16 (or n) exactly; y - m ln2_hi is exact (at most 20 significant bits).
  F ln2_hi = V::set1(0x1.62e43p-1f);    // float(ln 2)
  F ln2_lo = V::set1(-0x1.05c61p-29f);  // ln 2 - ln2_hi
  F one = V::set1(1.0f);
  F c[kDeg + 1];

  ExpClamped() {
    for (int k = 1; k <= kDeg; ++k) c[k] = V::set1(kPoly[k]);
  }

  SMELU_INLINE F operator()(F y) const {
    const F t = V::fma(y, log2e, shift);
    const F m = V::sub(t, shift);
    F r = V::fnma(m, ln2_hi, y);
    r = V::fnma(m, ln2_lo, r);
    F p = V::fma(c[kDeg], r, c[kDeg - 1]);
    for (int k = kDeg - 2; k >= 1; --k) p = V::fma(p, r, c[k]);
    p = V::fma(p, r, one);
    return V::mul(p, scale(t));
  }
};

// e^(c x) = 2^(x c log2 e) for a constant c, straight from x: t and the remainder f,
// |f| <= step/2, from two FMAs with the one constant c log2 e. The rounding of that constant to
// float32 costs a relative error of ~|c x| 6e-8 in the result (5e-6 at the ends of the range),
// which a sigmoid turns into an absolute error far below 1e-7.
template <class V>
struct ExpScaled {
  using F = typename V::F;
  using S = Exp2Scale<V>;
  static constexpr int kDeg = S::kDeg;
  static constexpr const float* kPoly = S::kTable ? mathc::kExp2Fine : mathc::kExp2;

  S scale;
  F c_log2e, shift = V::set1(S::kShift), one = V::set1(1.0f);
  F q[kDeg + 1];

  // c_log2e_: c log2(e) rounded once to float32 (act_params.cc).
  explicit ExpScaled(float c_log2e_) : c_log2e(V::set1(c_log2e_)) {
    for (int k = 1; k <= kDeg; ++k) q[k] = V::set1(kPoly[k]);
  }

  SMELU_INLINE F operator()(F x) const {
    F s;
    const F p = mantissa(x, s);
    return V::mul(p, s);
  }

  // 1 + e^(c x) with one rounding, the last multiply and the add fused: the sigmoid denominators
  // (one operation fewer; Swish forward 11.0 -> 11.4 elements/ns, sigmoid 11.0 -> 11.6).
  SMELU_INLINE F one_plus(F x) const {
    F s;
    const F p = mantissa(x, s);
    return V::fma(p, s, one);
  }

 private:
  // e^(c x) = p * s: p = 2^f from the polynomial, s from the bits of t.
  SMELU_INLINE F mantissa(F x, F& s) const {
    const F t = V::fma(x, c_log2e, shift);
    const F f = V::fma(x, c_log2e, V::sub(shift, t));
    F p = V::fma(q[kDeg], f, q[kDeg - 1]);
    for (int k = kDeg - 2; k >= 1; --k) p = V::fma(p, f, q[k]);
    s = scale(t);
    return V::fma(p, f, one);
  }
};

}  // namespace smelu
