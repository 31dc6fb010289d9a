// exp for the activations, written once against the Vec interface so that every tier gives the
// same bits; no libm. Two variants:
// - ExpClamped: e^y with the two-step Cody-Waite reduction y = n ln2 + r and a degree-5 minimax
//   polynomial for e^r: relative error ~1.5e-7 over the whole range (softplus's log1p needs it).
// - ExpScaled: e^(c x) for a constant c straight from x, with a 16-entry table of 2^(j/16) and a
//   short polynomial (the sigmoids are FMA-pipe bound: Swish went from 9.4 to 11.8 elements/ns
//   without the Cody-Waite split, to 14.4 with the table): for sigmoids, whose error bounds are
//   absolute.
// Coefficients and table: math_coeffs.h (fit/fit_coeffs.py).
#pragma once
#include "../simd/inline.h"
#include "math_coeffs.h"

namespace smelu {

// Callers clamp y to [kLo, kHi] first with max/min (which keep NaN), so that n stays in
// [-127, 128]: below y ~ -87.3 the result is a denormal and from y ~ -87.7 exactly 0; above
// y ~ 88.4 it is +inf. Those saturations are what sigmoid-style formulas want at +-inf.
template <class V>
struct ExpClamped {
  using F = typename V::F;
  static constexpr float kLo = -88.0f;
  static constexpr float kHi = 89.0f;
  // 1.5 * 2^23 + 127: fma(y, log2e, kShift) rounds y / ln2 to the integer n and leaves n + 127 in
  // the low mantissa bits (t stays in [2^23, 2^24), where the float spacing is 1).
  static constexpr float kShift = 0x1.8p23f + 127.0f;

  F log2e = V::set1(0x1.715476p+0f);
  F shift = V::set1(kShift);
  F ln2_hi = V::set1(0x1.62e43p-1f);    // float(ln 2): n * ln2_hi is exact inside the FMA
  F ln2_lo = V::set1(-0x1.05c61p-29f);  // ln 2 - ln2_hi
  F c1 = V::set1(mathc::kExp[1]), c2 = V::set1(mathc::kExp[2]), c3 = V::set1(mathc::kExp[3]);
  F c4 = V::set1(mathc::kExp[4]), c5 = V::set1(mathc::kExp[5]), one = V::set1(1.0f);

  SMELU_INLINE F operator()(F y) const {
    const F t = V::fma(y, log2e, shift);
    const F n = V::sub(t, shift);
    F r = V::fnma(n, ln2_hi, y);
    r = V::fnma(n, ln2_lo, r);
    F p = V::fma(c5, r, c4);
    p = V::fma(p, r, c3);
    p = V::fma(p, r, c2);
    p = V::fma(p, r, c1);
    p = V::fma(p, r, one);
    return V::mul(p, V::bits_shl23(t));
  }
};

// e^(c x) = 2^(x c log2 e) for a constant c, straight from x (no Cody-Waite split: the sigmoids'
// error bounds are absolute). The rounding of c log2 e to float32 costs a relative error of
// ~|c x| 6e-8 in the result (5e-6 at the ends of the range), which a sigmoid turns into an
// absolute error far below 1e-7. Two forms, chosen by the tier:
// - table (every native tier): m = round(16 x c log2 e) = 16 n + j and f = x c log2 e - m/16,
//   |f| <= 1/32, from two FMAs; 2^(n + j/16) from a 16-entry table (lookup16) whose entry gets n
//   added to its exponent by an integer add; 2^f from a degree-3 polynomial. 6 operations on the
//   FMA pipes where the table-free form takes 8 (Swish forward 12.8 -> 14.4 elements/ns, AVX-512).
// - table-free (V::kTableFree: SIMD128, whose lookup16 is four scalar loads): n = round(x c log2 e),
//   |f| <= 1/2, 2^f of degree 5, 2^n from the rounding constant's bits.
// Both saturate alike: the caller clamps c x to [kExpScaledLo, kExpScaledHi] = [-126, 128] ln 2 (NaN
// kept); at the top,
// m = 2048 exactly (n = 128, j = 0) and the result is +inf (the sigmoids' exact 0 at -inf); at the
// bottom it is 2^-126 (1 + e rounds to 1). The table form needs these bounds: past them the integer add
// would leave the float exponent range.
inline constexpr float kExpScaledLo = -0x1.5d58ap+6f;  // -126 ln 2 = -87.3365
inline constexpr float kExpScaledHi = 0x1.62e43p+6f;   // 128 ln 2 = 88.7228
template <class V>
struct ExpScaled {
  using F = typename V::F;
  static constexpr bool kTable = !V::kTableFree;
  // Float spacing 1/16 (table form) or 1 (table-free form, which also adds the bias 127) at t.
  static constexpr float kShift = kTable ? 0x1.8p19f : ExpClamped<V>::kShift;
  static constexpr int kDeg = kTable ? 3 : 5;
  static constexpr const float* kPoly = kTable ? mathc::kExp2Fine : mathc::kExp2;

  F c_log2e, shift = V::set1(kShift), one = V::set1(1.0f);
  F q[kDeg + 1];
  typename V::Table16 table = V::load_table16(mathc::kExp2Table16);

  // c_log2e_: c log2(e) rounded once to float32 (act_params.cc).
  explicit ExpScaled(float c_log2e_) : c_log2e(V::set1(c_log2e_)) {
    for (int k = 1; k <= kDeg; ++k) q[k] = V::set1(kPoly[k]);
  }

  SMELU_INLINE F operator()(F x) const {
    F scale;
    const F p = mantissa(x, scale);
    return V::mul(p, scale);
  }

  // 1 + e^(c x) with one rounding, the last multiply and the add fused: the sigmoid denominators
  // (one operation fewer; Swish forward 11.0 -> 11.4 elements/ns, sigmoid 11.0 -> 11.6).
  SMELU_INLINE F one_plus(F x) const {
    F scale;
    const F p = mantissa(x, scale);
    return V::fma(p, scale, one);
  }

 private:
  // e^(c x) = p * scale: p = 2^f from the polynomial, scale = 2^(n + j/16) (table form) or 2^n.
  SMELU_INLINE F mantissa(F x, F& scale) const {
    const F t = V::fma(x, c_log2e, shift);
    const F f = V::fma(x, c_log2e, V::sub(shift, t));
    F p = V::fma(q[kDeg], f, q[kDeg - 1]);
    for (int k = kDeg - 2; k >= 1; --k) p = V::fma(p, f, q[k]);
    if constexpr (kTable) {
      scale = V::bits_add_shl19(V::lookup16(table, t), t);
    } else {
      scale = V::bits_shl23(t);
    }
    return V::fma(p, f, one);
  }
};

}  // namespace smelu
