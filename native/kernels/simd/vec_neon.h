// 4-lane AArch64 NEON vector with the semantics of VecScalar (see vec_scalar.h). NEON's own
// fmin/fmax return NaN when either input is NaN; x86 returns the second operand, so min/max are
// written as compare + select to keep every tier bit-identical.
#pragma once
#include <arm_neon.h>

namespace smelu {

struct VecNeon {
  using F = float32x4_t;
  using M = uint32x4_t;
  static constexpr int kWidth = 4;
  static constexpr const char* kName = "neon";

  static F load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, F v) { vst1q_f32(p, v); }
  static F set1(float v) { return vdupq_n_f32(v); }
  static F zero() { return vdupq_n_f32(0.0f); }

  static F add(F a, F b) { return vaddq_f32(a, b); }
  static F sub(F a, F b) { return vsubq_f32(a, b); }
  static F mul(F a, F b) { return vmulq_f32(a, b); }
  static F div(F a, F b) { return vdivq_f32(a, b); }
  static F fma(F a, F b, F c) { return vfmaq_f32(c, a, b); }
  static F fnma(F a, F b, F c) { return vfmsq_f32(c, a, b); }
  static F min(F a, F b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
  static F max(F a, F b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
  static F clamp_sym(F x, F c) { return min(c, max(neg(c), x)); }
  static F abs(F a) { return vabsq_f32(a); }
  static F neg(F a) { return vnegq_f32(a); }
  static F sqrt(F a) { return vsqrtq_f32(a); }
  static F round_even(F a) { return vrndnq_f32(a); }
  static F copysign(F a, F s) { return vbslq_f32(vdupq_n_u32(0x80000000u), s, a); }

  static M lt(F a, F b) { return vcltq_f32(a, b); }
  static M le(F a, F b) { return vcleq_f32(a, b); }
  static M gt(F a, F b) { return vcgtq_f32(a, b); }
  static M ge(F a, F b) { return vcgeq_f32(a, b); }
  static M is_nan(F a) { return vmvnq_u32(vceqq_f32(a, a)); }
  static F select(M m, F if_true, F if_false) { return vbslq_f32(m, if_true, if_false); }

  static F pow2_int(F n) {
    int32x4_t i = vcvtnq_s32_f32(n);
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(i, vdupq_n_s32(127)), 23));
  }
};

}  // namespace smelu
