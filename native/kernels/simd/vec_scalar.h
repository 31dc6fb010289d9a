// One-lane "vector" with exactly the semantics of the SIMD tiers, so that kernels written once
// against the Vec interface give the same bits on every tier. min/max mirror x86 minps/maxps
// (the second operand is returned when either is NaN); fma is a true fused multiply-add.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace smelu {

struct VecScalar {
  using F = float;
  using M = bool;
  static constexpr int kWidth = 1;

  static F load(const float* p) { return *p; }
  static void store(float* p, F v) { *p = v; }
  static F set1(float v) { return v; }
  static F zero() { return 0.0f; }

  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  // a * b + c, one rounding.
  static F fma(F a, F b, F c) { return std::fma(a, b, c); }
  // c - a * b, one rounding.
  static F fnma(F a, F b, F c) { return std::fma(-a, b, c); }
  static F min(F a, F b) { return a < b ? a : b; }
  static F max(F a, F b) { return a > b ? a : b; }
  static F abs(F a) { return std::fabs(a); }
  static F sqrt(F a) { return std::sqrt(a); }
  // Copies the sign bit of s onto |a|.
  static F copysign(F a, F s) { return std::copysign(a, s); }

  static M gt(F a, F b) { return a > b; }
  static M ge(F a, F b) { return a >= b; }
  static M is_nan(F a) { return a != a; }
  static F select(M m, F if_true, F if_false) { return m ? if_true : if_false; }

  // ---- added for the transcendental activations (kernels/math) ----

  // min(|x|, c) for c >= 0: one vrangeps on AVX-512. A NaN x gives c (vrangeps does), so NaN
  // must reach the result through another operand.
  static F abs_min(F x, F c) {
    const F a = std::fabs(x);
    return a < c ? a : c;
  }
  // -|a|.
  static F neg_abs(F a) { return -std::fabs(a); }
  // The bits of a as an int32, shifted left by 23. For a = 1.5 * 2^23 + k with k an integer in
  // [0, 255] (what fma(y, log2(e), 1.5 * 2^23 + 127) leaves) this is 2^(k - 127), built without a
  // float-to-int conversion: +0 for k = 0, +inf for k = 255.
  static F bits_shl23(F a) {
    uint32_t b;
    std::memcpy(&b, &a, sizeof b);
    b <<= 23;
    float r;
    std::memcpy(&r, &b, sizeof r);
    return r;
  }

  // The bits of b plus those of t shifted left by 19, as an int32 sum. For t = 1.5 * 2^19 + n + j/16
  // (n, j integers, 0 <= j < 16) this adds n to the exponent of b and j to bit 19 up: with b from
  // mathc::kExp2Table16 it is 2^(n + j/16) while the result is a normal float.
  static F bits_add_shl19(F b, F t) {
    uint32_t ub, ut;
    std::memcpy(&ub, &b, sizeof ub);
    std::memcpy(&ut, &t, sizeof ut);
    ub += ut << 19;
    float r;
    std::memcpy(&r, &ub, sizeof r);
    return r;
  }

  // A 16-entry table for lookup16, held the way the tier indexes it fastest (a register on
  // AVX-512, two on AVX2, a 4-register tbl operand on NEON).
  struct Table16 {
    float v[16];
  };
  static Table16 load_table16(const float* t) {
    Table16 r;
    std::memcpy(r.v, t, sizeof r.v);
    return r;
  }
  // t[k], k = the low 4 bits of idx's bit pattern (so fma(a, 1/w, 1.5 * 2^23) indexes directly).
  static F lookup16(const Table16& t, F idx) {
    uint32_t b;
    std::memcpy(&b, &idx, sizeof b);
    return t.v[b & 15u];
  }

  // The first count (<= kWidth) lanes from p, the others 0; memory past them is not touched.
  // store_first writes only the first count lanes. For partial vectors at the ends of an array.
  static F load_first(const float* p, size_t count) { return count ? *p : 0.0f; }
  static void store_first(float* p, F v, size_t count) {
    if (count) *p = v;
  }

  // SmeLU's forward in its clamp form (SmeluAct), and GELU (gauss.h) and exp (ExpScaled) without
  // tables for a tier whose lookup16 is not one instruction: only SIMD128 gains by them.
  static constexpr bool kSmeluClampForm = false;
  static constexpr bool kTableFree = false;
  // Non-temporal stores: 0 means this tier has none, and the loops use store().
  static constexpr size_t kStreamAlign = 0;
  static void store_stream(float* p, F v) { *p = v; }
  static void stream_fence() {}
};

}  // namespace smelu
