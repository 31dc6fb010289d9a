// One-lane "vector" with exactly the semantics of the SIMD tiers, so that kernels written once
// against the Vec interface give the same bits on every tier. min/max mirror x86 minps/maxps
// (the second operand is returned when either is NaN); fma is a true fused multiply-add.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace smelu {

struct VecScalar {
  using F = float;
  using I = int32_t;
  using M = bool;
  static constexpr int kWidth = 1;
  static constexpr const char* kName = "scalar";

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
  // clamp(x, -c, c) for c >= 0; NaN stays NaN.
  static F clamp_sym(F x, F c) { return min(c, max(-c, x)); }
  static F abs(F a) { return std::fabs(a); }
  static F neg(F a) { return -a; }
  static F sqrt(F a) { return std::sqrt(a); }
  static F round_even(F a) { return std::nearbyint(a); }
  // Copies the sign bit of s onto |a|.
  static F copysign(F a, F s) { return std::copysign(a, s); }

  static M lt(F a, F b) { return a < b; }
  static M le(F a, F b) { return a <= b; }
  static M gt(F a, F b) { return a > b; }
  static M ge(F a, F b) { return a >= b; }
  static M is_nan(F a) { return a != a; }
  static F select(M m, F if_true, F if_false) { return m ? if_true : if_false; }

  // For exponentials: x must already be an integer in [-126, 127]. Returns 2^x exactly.
  static F pow2_int(F n) {
    int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    float r;
    std::memcpy(&r, &bits, sizeof r);
    return r;
  }
};

}  // namespace smelu
