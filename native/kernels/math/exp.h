// exp for the activations, written once against the Vec interface so that every tier gives the
// same bits; no libm. Two variants:
// - ExpClamped: e^y with the two-step Cody-Waite reduction y = n ln2 + r and a degree-5 minimax
//   polynomial for e^r: relative error ~1.5e-7 over the whole range (softplus's log1p needs it).
// - ExpScaled: e^(c x) for a constant c straight from x, two FMA-pipe operations shorter (the
//   sigmoids are FMA-pipe bound: Swish went from 9.4 to 11.8 elements/ns): for sigmoids, whose
//   error bounds are absolute.
// Both build 2^n from the bits of the rounding constant (math_coeffs.h, fit/fit_coeffs.py).
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

// e^(c x) = 2^(x c log2 e): n = round(x c log2 e) and f = x c log2 e - n, |f| <= 1/2 exactly,
// come from two FMAs with the one constant c log2 e; 2^f from a degree-5 minimax polynomial. The
// rounding of that constant to float32 costs a relative error of ~|c x| 6e-8 in the result (5e-6 at
// the ends of the range), which a sigmoid turns into an absolute error far below 1e-7.
// The caller clamps x so that c x stays in [ExpClamped::kLo, kHi] (NaN kept), with the same
// saturation to 0 and +inf.
template <class V>
struct ExpScaled {
  using F = typename V::F;
  F c_log2e, shift = V::set1(ExpClamped<V>::kShift);
  F q1 = V::set1(mathc::kExp2[1]), q2 = V::set1(mathc::kExp2[2]), q3 = V::set1(mathc::kExp2[3]);
  F q4 = V::set1(mathc::kExp2[4]), q5 = V::set1(mathc::kExp2[5]), one = V::set1(1.0f);

  // c_log2e_: c log2(e) rounded once to float32 (act_params.cc).
  explicit ExpScaled(float c_log2e_) : c_log2e(V::set1(c_log2e_)) {}

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
  // e^(c x) = p * scale: p = 2^f from the polynomial, scale = 2^n from the rounding constant's bits.
  SMELU_INLINE F mantissa(F x, F& scale) const {
    const F t = V::fma(x, c_log2e, shift);
    const F f = V::fma(x, c_log2e, V::sub(shift, t));
    F p = V::fma(q5, f, q4);
    p = V::fma(p, f, q3);
    p = V::fma(p, f, q2);
    p = V::fma(p, f, q1);
    scale = V::bits_shl23(t);
    return V::fma(p, f, one);
  }
};

}  // namespace smelu
