// 16-lane AVX-512F/DQ vector with the semantics of VecScalar (see vec_scalar.h).
#pragma once
#include "x86_intrinsics.h"

#include <cstddef>
#include <cstdint>

namespace smelu {

struct VecAvx512 {
  using F = __m512;
  using M = __mmask16;
  static constexpr int kWidth = 16;

  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F zero() { return _mm512_setzero_ps(); }

  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  // c + (*a broadcast) * b as one instruction (the {1to16} memory operand): no register for the
  // broadcast, which a 7 x 64 tile (28 accumulators + 4 B vectors) does not have.
  static F fma_bcast(const float* a, F b, F c) {
    __asm__("vfmadd231ps %1%{1to16%}, %2, %0" : "+v"(c) : "m"(*a), "v"(b));
    return c;
  }
  static F fnma(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F abs(F a) { return _mm512_abs_ps(a); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static F copysign(F a, F s) {
    const __m512i sign = _mm512_set1_epi32(INT32_MIN);
    // ternary logic sign ? s : a, bit by bit (imm 0xCA; 0xE4 would be a ? sign : s)
    return _mm512_castsi512_ps(
        _mm512_ternarylogic_epi32(sign, _mm512_castps_si512(s), _mm512_castps_si512(a), 0xCA));
  }

  static M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M ge(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static M is_nan(F a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static F select(M m, F if_true, F if_false) { return _mm512_mask_blend_ps(m, if_false, if_true); }

  // ---- added for the transcendental activations (see vec_scalar.h for the contracts) ----

  // vrangeps imm 0x0A: the smaller magnitude, sign cleared; a NaN x gives c.
  static F abs_min(F x, F c) { return _mm512_range_ps(x, c, 0x0A); }
  static F neg_abs(F a) {
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_set1_epi32(INT32_MIN)));
  }
  static F bits_shl23(F a) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(a), 23)); }
  static F bits_add_shl19(F b, F t) {
    const __m512i s = _mm512_slli_epi32(_mm512_castps_si512(t), 19);
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(b), s));
  }

  using Table16 = __m512;
  static Table16 load_table16(const float* t) { return _mm512_loadu_ps(t); }
  // vpermps uses the low 4 bits of each index lane.
  static F lookup16(Table16 t, F idx) { return _mm512_permutexvar_ps(_mm512_castps_si512(idx), t); }

  // Masked: lanes from count on are 0 and their memory is not touched (no fault past the end).
  static F load_first(const float* p, size_t count) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1), p);
  }
  static void store_first(float* p, F v, size_t count) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1), v);
  }

  // The fixed 16-lane sum tree of 16 vectors at once (kernels/gemm/gemm_dot.h): lane l + 8 added
  // to lane l, then + 4, + 2, + 1, with the same operands as the scalar tree, so the same bits.
  // out[4 q + r] is the sum of v[4 r + q].
  static void sum_lanes16(const F (&v)[16], float* out) {
    F a[8], b[4], c[2];
    for (int t = 0; t < 8; ++t)
      a[t] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * t], v[2 * t + 1], 0x44),
                           _mm512_shuffle_f32x4(v[2 * t], v[2 * t + 1], 0xEE));
    for (int t = 0; t < 4; ++t)
      b[t] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * t], a[2 * t + 1], 0x88),
                           _mm512_shuffle_f32x4(a[2 * t], a[2 * t + 1], 0xDD));
    for (int t = 0; t < 2; ++t)
      c[t] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * t], b[2 * t + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                           _mm512_shuffle_ps(b[2 * t], b[2 * t + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    _mm512_storeu_ps(out, _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                        _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1))));
  }

  static constexpr bool kSmeluClampForm = false;
  static constexpr bool kTableFree = false;
  static constexpr size_t kStreamAlign = 64;
  // p must be 64-byte aligned.
  static void store_stream(float* p, F v) { _mm512_stream_ps(p, v); }
  static void stream_fence() { _mm_sfence(); }
};

}  // namespace smelu
