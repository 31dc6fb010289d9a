// 4-lane AArch64 NEON vector with the semantics of VecScalar (see vec_scalar.h). NEON's own
// fmin/fmax return NaN when either input is NaN; x86 returns the second operand, so min/max are
// written as compare + select to keep every tier bit-identical.
#pragma once
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

namespace smelu {

struct VecNeon {
  using F = float32x4_t;
  using M = uint32x4_t;
  static constexpr int kWidth = 4;

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
  static F abs(F a) { return vabsq_f32(a); }
  static F sqrt(F a) { return vsqrtq_f32(a); }
  static F copysign(F a, F s) { return vbslq_f32(vdupq_n_u32(0x80000000u), s, a); }

  static M gt(F a, F b) { return vcgtq_f32(a, b); }
  static M ge(F a, F b) { return vcgeq_f32(a, b); }
  static M is_nan(F a) { return vmvnq_u32(vceqq_f32(a, a)); }
  static F select(M m, F if_true, F if_false) { return vbslq_f32(m, if_true, if_false); }

  // ---- added for the transcendental activations (see vec_scalar.h for the contracts) ----

  // Compare + select like min(): a NaN x gives c, as vrangeps does on AVX-512.
  static F abs_min(F x, F c) { return min(vabsq_f32(x), c); }
  static F neg_abs(F a) { return vnegq_f32(vabsq_f32(a)); }
  static F bits_shl23(F a) { return vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(a), 23)); }
  static F bits_add_shl19(F b, F t) {
    const uint32x4_t s = vshlq_n_u32(vreinterpretq_u32_f32(t), 19);
    return vreinterpretq_f32_u32(vaddq_u32(vreinterpretq_u32_f32(b), s));
  }

  using Table16 = uint8x16x4_t;
  static Table16 load_table16(const float* t) {
    const uint8_t* b = reinterpret_cast<const uint8_t*>(t);
    return {{vld1q_u8(b), vld1q_u8(b + 16), vld1q_u8(b + 32), vld1q_u8(b + 48)}};
  }
  // tbl over the 64 table bytes: lane k's byte indices are 4k + {0, 1, 2, 3}.
  static F lookup16(const Table16& t, F idx) {
    const uint32x4_t k = vandq_u32(vreinterpretq_u32_f32(idx), vdupq_n_u32(15));
    const uint32x4_t bytes = vmlaq_u32(vdupq_n_u32(0x03020100u), k, vdupq_n_u32(0x04040404u));
    return vreinterpretq_f32_u8(vqtbl4q_u8(t, vreinterpretq_u8_u32(bytes)));
  }

  // Through a zero-padded buffer: lanes from count on are 0, memory past them is not touched.
  static F load_first(const float* p, size_t count) {
    float b[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < count; ++i) b[i] = p[i];
    return vld1q_f32(b);
  }
  static void store_first(float* p, F v, size_t count) {
    float b[4];
    vst1q_f32(b, v);
    for (size_t i = 0; i < count; ++i) p[i] = b[i];
  }

  static constexpr bool kSmeluClampForm = false;
  static constexpr bool kTableFree = false;
  static constexpr size_t kStreamAlign = 0;
  static void store_stream(float* p, F v) { vst1q_f32(p, v); }
  static void stream_fence() {}
};

}  // namespace smelu
