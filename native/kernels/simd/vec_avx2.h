// 8-lane AVX2 + FMA vector with the semantics of VecScalar (see vec_scalar.h).
#pragma once
#include "x86_intrinsics.h"

#include <cstddef>

namespace smelu {

struct VecAvx2 {
  using F = __m256;
  using M = __m256;
  static constexpr int kWidth = 8;

  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F zero() { return _mm256_setzero_ps(); }

  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fnma(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  static F copysign(F a, F s) {
    const F sign = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(sign, a), _mm256_and_ps(sign, s));
  }

  static M gt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M ge(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static M is_nan(F a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static F select(M m, F if_true, F if_false) { return _mm256_blendv_ps(if_false, if_true, m); }

  // ---- added for the transcendental activations (see vec_scalar.h for the contracts) ----

  // minps returns its second operand when either is NaN: a NaN x gives c, as on the other tiers.
  static F abs_min(F x, F c) { return _mm256_min_ps(abs(x), c); }
  static F neg_abs(F a) { return _mm256_or_ps(_mm256_set1_ps(-0.0f), a); }
  static F bits_shl23(F a) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(a), 23)); }
  static F bits_add_shl19(F b, F t) {
    const __m256i s = _mm256_slli_epi32(_mm256_castps_si256(t), 19);
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(b), s));
  }

  struct Table16 {
    __m256 lo, hi;
  };
  static Table16 load_table16(const float* t) { return {_mm256_loadu_ps(t), _mm256_loadu_ps(t + 8)}; }
  // vpermps on both halves (it uses the low 3 bits), then bit 3, moved to the sign, picks the half.
  static F lookup16(const Table16& t, F idx) {
    const __m256i i = _mm256_castps_si256(idx);
    const __m256 hi_half = _mm256_castsi256_ps(_mm256_slli_epi32(i, 28));
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(t.lo, i), _mm256_permutevar8x32_ps(t.hi, i), hi_half);
  }

  // vmaskmovps: lanes from count on are 0 and their memory is not touched.
  static __m256i first_lanes(size_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static F load_first(const float* p, size_t count) { return _mm256_maskload_ps(p, first_lanes(count)); }
  static void store_first(float* p, F v, size_t count) { _mm256_maskstore_ps(p, first_lanes(count), v); }

  static constexpr bool kSmeluClampForm = false;
  static constexpr bool kTableFree = false;
  static constexpr size_t kStreamAlign = 32;
  // p must be 32-byte aligned.
  static void store_stream(float* p, F v) { _mm256_stream_ps(p, v); }
  static void stream_fence() { _mm_sfence(); }
};

}  // namespace smelu
